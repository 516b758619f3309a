// KubeClient over a Transport: paths from discovery, JSON bodies, errors as StepErrors. No client-node import here.

import { StepError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { createDiscovery, type ResolvedResource } from './discovery.js';
import { isNotFound, toApiError, toNetworkError } from './errors.js';
import { createInformer } from './informer.js';
import { formatKubeTime } from './time.js';
import type { HttpRequest, QueryParams, Transport } from './transport.js';
import type {
  CsrCondition, Informer, InformerOptions, KubeClient, KubeObject, ListOptions, ObjectRef, PatchType, WriteOptions,
} from './types.js';

export interface RestClientOptions {
  /** Namespace for namespaced objects that name none (the kubeconfig context's). @default 'default' */
  defaultNamespace?: string;
  clock: Clock;
}

/** Objects per list page of an informer (client-go's reflector uses 500 too). */
const INFORMER_PAGE = 500;

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export function createRestClient(transport: Transport, options: RestClientOptions): KubeClient {
  const defaultNamespace = options.defaultNamespace || 'default';
  const discovery = createDiscovery((path, signal, accept) => call('get', path, { method: 'GET', path, signal, accept }));

  async function call<T = unknown>(verb: string, target: string, request: HttpRequest): Promise<T> {
    let response;
    try {
      response = await transport.send(request);
    } catch (error) {
      throw toNetworkError(verb, target, error, request.signal);
    }
    if (response.status < 200 || response.status > 299) throw toApiError(verb, target, response);
    if (!response.body) return undefined as T;
    try {
      return JSON.parse(response.body) as T;
    } catch (error) {
      throw new StepError(`${verb} ${target}: the server answered ${response.status} with invalid JSON`, { cause: error });
    }
  }

  /** Path and display name of one object (name given) or of a collection (name omitted). */
  async function locate(ref: ObjectRef, signal?: AbortSignal, subresource?: string) {
    if (!ref.apiVersion || !ref.kind) throw new StepError(`object reference needs apiVersion and kind (got ${JSON.stringify(ref)})`);
    const res = await discovery.resolve(ref.apiVersion, ref.kind, signal);
    const namespace = res.namespaced ? ref.namespace || defaultNamespace : undefined;
    return { res, namespace, ...objectPath(res, namespace, ref.name, subresource) };
  }

  function writeQuery(options: WriteOptions | undefined, extra: QueryParams = {}): QueryParams {
    return { dryRun: options?.dryRun ? 'All' : undefined, fieldManager: options?.fieldManager ?? 'opsbook', ...extra };
  }

  /** Follows `continue` tokens; each page's items go through `project` before the next page is read. */
  async function listPages<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    opts: ListOptions & { signal?: AbortSignal },
    project: (item: KubeObject) => T,
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const { path, target } = await locate({ apiVersion, kind, namespace: opts.namespace }, opts.signal);
    const items: T[] = [];
    let resourceVersion = '';
    let cont: string | undefined;
    do {
      const query = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: cont };
      const page = await call<{ items?: KubeObject[]; metadata?: { resourceVersion?: string; continue?: string } }>(
        'list', target, { method: 'GET', path, query, signal: opts.signal },
      );
      for (const item of page.items ?? []) items.push(project(fillTypeMeta(item, apiVersion, kind)));
      resourceVersion ||= page.metadata?.resourceVersion ?? '';
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  const client: KubeClient = {
    server: transport.server,
    defaultNamespace,

    async get<T extends KubeObject>(ref: ObjectRef, signal?: AbortSignal) {
      if (!ref.name) throw new StepError(`get ${ref.kind}: a name is required`);
      const { path, target } = await locate(ref, signal);
      try {
        return await call<T>('get', target, { method: 'GET', path, signal });
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    list<T extends KubeObject>(apiVersion: string, kind: string, opts: ListOptions & { signal?: AbortSignal } = {}) {
      return listPages<T>(apiVersion, kind, opts, (item) => item as T);
    },

    informer<T extends KubeObject>(apiVersion: string, kind: string, opts: InformerOptions = {}): Informer<T> {
      const { transform, signal: stopSignal, ...listOpts } = opts;
      const project = (object: KubeObject) => (transform ? transform(object) : object) as T;
      return createInformer<T>({
        clock: options.clock,
        signal: stopSignal,
        describe: `${kind} (${apiVersion})`,
        // Pages of INFORMER_PAGE, each reduced before the next is read, as client-go's reflector lists: a list of
        // thousands of objects never has to be held as one response body plus its whole decoded form.
        list: (signal) => listPages(apiVersion, kind, { limit: INFORMER_PAGE, ...listOpts, signal }, project),
        watch: async (resourceVersion, onEvent, signal) => {
          const { path } = await locate({ apiVersion, kind, namespace: listOpts.namespace }, signal);
          // The server ends each watch after 10 minutes, so a connection that died silently is noticed and resumed.
          const query = {
            resourceVersion, allowWatchBookmarks: true, labelSelector: listOpts.labelSelector,
            fieldSelector: listOpts.fieldSelector, timeoutSeconds: 600,
          };
          await transport.watch(path, query, (event) => {
            if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
              fillTypeMeta(event.object as KubeObject, apiVersion, kind);
              onEvent({ type: event.type, object: project(event.object as KubeObject) as unknown as Record<string, unknown> });
              return;
            }
            onEvent(event);
          }, signal);
        },
      });
    },

    async create<T extends KubeObject>(object: KubeObject, opts?: WriteOptions) {
      const ref = refOf(object, false);
      const { path, target, namespace } = await locate({ ...ref, name: undefined }, opts?.signal);
      const body = namespace ? withNamespace(object, namespace) : object;
      const shown = `${target} ${object.metadata?.name ?? object.metadata?.generateName ?? ''}`.trim();
      return call<T>('create', shown, { method: 'POST', path, query: writeQuery(opts), body: JSON.stringify(body), signal: opts?.signal });
    },

    async replace<T extends KubeObject>(object: KubeObject, opts?: WriteOptions) {
      const { path, target, namespace } = await locate(refOf(object, true), opts?.signal);
      const body = namespace ? withNamespace(object, namespace) : object;
      return call<T>('update', target, { method: 'PUT', path, query: writeQuery(opts), body: JSON.stringify(body), signal: opts?.signal });
    },

    async patch<T extends KubeObject>(ref: ObjectRef, patch: unknown, type: PatchType = 'merge', opts?: WriteOptions) {
      if (!ref.name) throw new StepError(`patch ${ref.kind}: a name is required`);
      const { path, target } = await locate(ref, opts?.signal);
      const force = type === 'apply' ? (opts?.force ?? true) : undefined;
      const body = type === 'apply' ? applyBody(patch, ref) : patch;
      return call<T>('patch', target, {
        method: 'PATCH', path, query: writeQuery(opts, { force }), body: JSON.stringify(body),
        contentType: PATCH_CONTENT_TYPES[type], signal: opts?.signal,
      });
    },

    async delete(ref: ObjectRef, opts?: WriteOptions) {
      if (!ref.name) throw new StepError(`delete ${ref.kind}: a name is required`);
      const { path, target } = await locate(ref, opts?.signal);
      try {
        await call('delete', target, { method: 'DELETE', path, query: { dryRun: opts?.dryRun ? 'All' : undefined }, signal: opts?.signal });
      } catch (error) {
        if (!isNotFound(error)) throw error; // already gone is what the caller wanted
      }
    },

    async setCsrCondition(csr: KubeObject, condition: CsrCondition, signal?: AbortSignal) {
      const name = csr.metadata.name;
      if (!name) throw new StepError('setCsrCondition: the CSR has no name');
      const now = formatKubeTime(options.clock.now());
      const status = (csr.status ?? {}) as { conditions?: unknown[] };
      const body = {
        ...csr,
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        status: {
          ...status,
          conditions: [
            ...(status.conditions ?? []),
            { ...condition, status: 'True', lastUpdateTime: now, lastTransitionTime: now },
          ],
        },
      };
      const path = `/apis/certificates.k8s.io/v1/certificatesigningrequests/${encodeURIComponent(name)}/approval`;
      const verb = condition.type === 'Approved' ? 'approve' : 'deny';
      return call<KubeObject>(verb, `certificatesigningrequests ${name}`, { method: 'PUT', path, body: JSON.stringify(body), signal });
    },

    async request(path: string, signal?: AbortSignal) {
      try {
        const response = await transport.send({ method: 'GET', path, signal });
        return { status: response.status, body: response.body };
      } catch (error) {
        throw toNetworkError('get', path, error, signal);
      }
    },

    async resolve(apiVersion: string, kind: string) {
      const { resource, namespaced } = await discovery.resolve(apiVersion, kind);
      return { resource, namespaced };
    },

    resolveName: (name: string, signal?: AbortSignal) => discovery.resolveName(name, signal),
  };
  return client;
}

function objectPath(res: ResolvedResource, namespace: string | undefined, name?: string, subresource?: string) {
  const root = res.apiVersion.includes('/') ? `/apis/${res.apiVersion}` : `/api/${res.apiVersion}`;
  const group = res.apiVersion.includes('/') ? res.apiVersion.split('/')[0] : '';
  let path = namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${res.resource}` : `${root}/${res.resource}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (name && subresource) path += `/${subresource}`;
  const kindName = group ? `${res.resource}.${group}` : res.resource;
  const target = name ? `${kindName} ${namespace ? `${namespace}/` : ''}${name}` : `${kindName}${namespace ? ` in ${namespace}` : ''}`;
  return { path, target };
}

function refOf(object: KubeObject, needName: boolean): ObjectRef {
  if (!object || typeof object !== 'object' || !object.apiVersion || !object.kind) {
    throw new StepError('a Kubernetes object needs apiVersion and kind');
  }
  if (needName && !object.metadata?.name) throw new StepError(`${object.kind}: metadata.name is required`);
  return { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata?.name, namespace: object.metadata?.namespace };
}

function withNamespace(object: KubeObject, namespace: string): KubeObject {
  if (object.metadata?.namespace === namespace) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}

// Server-side apply needs apiVersion/kind/name in the body; fill them from the reference when the caller gave a bare patch.
function applyBody(patch: unknown, ref: ObjectRef): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const obj = patch as KubeObject;
  return { ...obj, apiVersion: obj.apiVersion ?? ref.apiVersion, kind: obj.kind ?? ref.kind, metadata: { ...obj.metadata, name: ref.name } };
}

// List items and watch objects come without apiVersion/kind from real servers; CEL and callers expect them.
function fillTypeMeta<T extends KubeObject>(item: T, apiVersion: string, kind: string): T {
  if (!item.apiVersion) item.apiVersion = apiVersion;
  if (!item.kind) item.kind = kind;
  return item;
}
