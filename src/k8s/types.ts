// The Kubernetes client contract the steps use. src/k8s/client.ts implements it with @kubernetes/client-node.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** coordination.k8s.io/v1 Lease: the cluster lock (spec.lock) and a cluster-kept run's claim. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
export type Lease = KubeObject & { spec?: LeaseSpec };

/** Names one object (or, without `name`, a collection) of any kind; resolved through discovery. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; list() follows `continue` tokens until done. */
  limit?: number;
}

export interface InformerOptions extends ListOptions {
  signal?: AbortSignal;
  /**
   * Reduces each listed or watched object to what the caller reads before it is cached: with thousands of objects
   * the cache is the process's memory. Must keep `metadata.name`, `namespace` and `resourceVersion`.
   * @default the object as received
   */
  transform?: (object: KubeObject) => KubeObject;
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export interface WriteOptions {
  /** Server-side dry run (`dryRun=All`): validated and answered, nothing stored. */
  dryRun?: boolean;
  /** @default 'opsbook' */
  fieldManager?: string;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  signal?: AbortSignal;
}

/**
 * A list+watch cache of one resource: lists once, then watches from the list's resourceVersion,
 * relisting on 410 Gone or a dropped stream. No polling.
 */
export interface Informer<T extends KubeObject = KubeObject> {
  /** Resolves after the first list. */
  ready(): Promise<void>;
  /** Current objects, keyed `namespace/name` (or `name` for cluster-scoped). */
  items(): T[];
  /** Called for every change after the initial list; a relist reports the differences it finds (ADDED/MODIFIED/DELETED). */
  onChange(listener: (event: WatchEvent<T>) => void): () => void;
  /** Resolves when `predicate(items)` holds, checked after every change; rejects on signal abort. */
  waitFor(predicate: (items: T[]) => boolean, signal?: AbortSignal): Promise<T[]>;
  stop(): void;
}

export interface CsrCondition {
  type: 'Approved' | 'Denied';
  reason: string;
  message: string;
}

export interface KubeClient {
  /** API server URL from the kubeconfig, for messages. */
  readonly server: string;
  /** undefined when the object does not exist (404). */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options?: ListOptions & { signal?: AbortSignal },
  ): Promise<{ items: T[]; resourceVersion: string }>;
  informer<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, options?: InformerOptions): Informer<T>;
  create<T extends KubeObject = KubeObject>(object: KubeObject, options?: WriteOptions): Promise<T>;
  replace<T extends KubeObject = KubeObject>(object: KubeObject, options?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: unknown,
    type?: PatchType,
    options?: WriteOptions,
  ): Promise<T>;
  delete(ref: ObjectRef, options?: WriteOptions): Promise<void>;
  /** PUT the CSR's /approval subresource with one added condition (409 → caller re-reads). */
  setCsrCondition(csr: KubeObject, condition: CsrCondition, signal?: AbortSignal): Promise<KubeObject>;
  /** GET a raw path (e.g. `/readyz`) and return status and body text. */
  request(path: string, signal?: AbortSignal): Promise<{ status: number; body: string }>;
  /** Resolve kind → resource name, scope and plural through discovery (CRDs included). */
  resolve(apiVersion: string, kind: string): Promise<{ resource: string; namespaced: boolean }>;
  /** Namespace used for namespaced objects that name none (the kubeconfig context's, else `default`). */
  readonly defaultNamespace?: string;
  /** Resolve a kubectl-style resource name (`ds`, `daemonset`, `daemonsets.apps`) through discovery. */
  resolveName?(
    name: string,
    signal?: AbortSignal,
  ): Promise<{ apiVersion: string; kind: string; resource: string; namespaced: boolean }>;
}
