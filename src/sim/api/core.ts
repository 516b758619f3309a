// The API verbs on stored objects, shared by the HTTP server and the in-process actors (kubelets, operators).

import type { ResourceDef } from '../resources.js';
import { ObjectStore, formatTime, objectKey } from '../store/store.js';
import type { KObject, StoredObject } from '../store/types.js';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.js';
import { authorize, type UserInfo } from './auth.js';
import { RbacAuthorizer } from './rbac.js';
import { deepEqual } from './equal.js';
import { applyConfiguration, recordUpdate } from './fields.js';
import { checkName, generateName } from './names.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { ApiError, alreadyExists, badRequest, conflict, expired, invalid, notFound } from './status.js';
import { prepareCreate, prepareUpdate, validateObject } from './strategy.js';

export { deepEqual };

const GENERATE_NAME_ATTEMPTS = 8;

export type PatchKind = 'merge' | 'json' | 'strategic' | 'apply';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Server-side apply: take over conflicting fields. */
  force?: boolean;
  /** In-process only (never from HTTP): creation time to record, for history a scenario starts with. */
  createdAt?: number;
}

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  limit?: number;
  continue?: string | null;
}

export interface ListResult {
  items: StoredObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteResult {
  stored: StoredObject;
  /** 201 for creations. */
  created: boolean;
}

/** Serialises without storing, for dry runs. */
function transient(object: KObject): StoredObject {
  return { object, json: JSON.stringify(object), rv: Number(object.metadata.resourceVersion ?? 0) };
}

function target(def: ResourceDef, name: string) {
  return { group: def.group, resource: def.resource, name };
}

export class ApiCore {
  private readonly namespaces: ResourceDef | undefined;

  constructor(
    readonly store: ObjectStore,
    readonly defs: ResourceDef[],
    /** Suffix source for generateName (tests force collisions with it). @default random, as the apiserver */
    private readonly nameFor: (prefix: string) => string = (prefix) => generateName(prefix),
  ) {
    this.namespaces = defs.find((d) => d.resource === 'namespaces' && d.group === '');
    this.rbac = new RbacAuthorizer(store, defs);
  }

  readonly rbac: RbacAuthorizer;

  /** The server's authorization check, RBAC objects of this store included; throws 403. */
  authorize(user: UserInfo, verb: string, def: ResourceDef, target: { name?: string; namespace?: string; subresource?: string }): void {
    authorize(user, verb, def, target, this.rbac);
  }

  get(user: UserInfo, def: ResourceDef, namespace: string | undefined, name: string): StoredObject {
    this.authorize(user, 'get', def, { name, namespace });
    const found = this.store.get(def, namespace, name);
    if (!found) throw notFound(target(def, name));
    return found;
  }

  /** One page of a filtered list; `continue` tokens carry the list's resourceVersion and the last key. */
  list(user: UserInfo, def: ResourceDef, namespace: string | undefined, options: ListOptions = {}): ListResult {
    this.authorize(user, 'list', def, { namespace });
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector, def);
    let after: string | undefined;
    let rv = String(this.store.resourceVersion);
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (token.rv !== LATEST && Number(token.rv) < this.store.oldestResumableRv) {
        // As etcd3's store: the 410 carries a token that continues after the same key from the latest snapshot.
        const error = expired(INCONSISTENT_CONTINUE);
        error.listContinue = encodeContinue(LATEST, token.start);
        throw error;
      }
      after = token.start;
      if (token.rv !== LATEST) rv = token.rv;
    }
    const all = this.store.list(def, namespace);
    const limit = options.limit && options.limit > 0 ? options.limit : Infinity;
    const items: StoredObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (const stored of all) {
      const key = objectKey(stored.object.metadata.namespace, stored.object.metadata.name);
      if (after !== undefined && key <= after) continue;
      if (!labels(stored.object) || !fields(stored.object)) continue;
      if (items.length >= limit) {
        remaining++;
        continue;
      }
      items.push(stored);
      next = key;
    }
    const result: ListResult = { items, resourceVersion: rv };
    if (remaining > 0 && next !== undefined) {
      result.continue = encodeContinue(rv, next);
      if (!options.labelSelector && !options.fieldSelector) result.remainingItemCount = remaining;
    }
    return result;
  }

  async create(user: UserInfo, def: ResourceDef, namespace: string | undefined, body: unknown, options: WriteOptions = {}): Promise<WriteResult> {
    const object = this.normalizeBody(def, body, namespace);
    this.authorize(user, 'create', def, { name: object.metadata.name, namespace });
    if (object.metadata.resourceVersion) {
      throw badRequest('resourceVersion should not be set on objects to be created');
    }
    if (!object.metadata.name) {
      if (!object.metadata.generateName) {
        throw invalid(def.kind, def.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' }]);
      }
      object.metadata.name = this.generateFreeName(def, namespace, object.metadata.generateName);
    }
    this.checkNames(def, object);
    delete object.metadata.uid;
    delete object.metadata.creationTimestamp;
    delete object.metadata.deletionTimestamp;
    delete object.metadata.managedFields;
    await prepareCreate(def, object, user);
    validateObject(def, object);
    if (options.createdAt !== undefined) object.metadata.creationTimestamp = formatTime(options.createdAt);
    if (options.fieldManager) recordUpdate(undefined, object, options.fieldManager, undefined, formatTime(this.store.now()));
    return this.commitCreate(def, object, options);
  }

  /** PUT: optimistic concurrency on metadata.resourceVersion; custom resources require it. */
  async update(
    user: UserInfo,
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    const incoming = this.normalizeBody(def, body, namespace);
    this.authorize(user, subresource === 'approval' ? 'approve' : 'update', def, { name, namespace, subresource });
    if (incoming.metadata.name && incoming.metadata.name !== name) {
      throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    }
    incoming.metadata.name = name;
    const current = this.store.get(def, namespace, name);
    if (!current) throw notFound(target(def, name));
    const rv = incoming.metadata.resourceVersion;
    if (!rv && def.custom) {
      throw invalid(def.kind, def.group, name, [{ field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' }]);
    }
    return this.commitUpdate(def, current, incoming, subresource, rv, options);
  }

  async patch(
    user: UserInfo,
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    kind: PatchKind,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<WriteResult> {
    this.authorize(user, 'patch', def, { name, namespace, subresource });
    const current = this.store.get(def, namespace, name);
    if (kind === 'apply') return this.apply(user, def, namespace, name, subresource, current, patch, options);
    if (!current) throw notFound(target(def, name));
    let patched: unknown;
    if (kind === 'merge') patched = applyMergePatch(current.object, patch);
    else if (kind === 'json') patched = applyJsonPatch(current.object, patch);
    else {
      if (def.custom) throw new ApiError(415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
      patched = applyStrategicMergePatch(current.object, patch);
    }
    const incoming = this.normalizeBody(def, patched, namespace);
    const rvPrecondition = hasResourceVersion(patch) ? incoming.metadata.resourceVersion : undefined;
    return this.commitUpdate(def, current, incoming, subresource, rvPrecondition, options);
  }

  delete(
    user: UserInfo,
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    options: WriteOptions & { preconditions?: { resourceVersion?: string; uid?: string } } = {},
  ): StoredObject {
    this.authorize(user, 'delete', def, { name, namespace });
    const current = this.store.get(def, namespace, name);
    if (!current) throw notFound(target(def, name));
    const pre = options.preconditions ?? {};
    if (pre.resourceVersion && pre.resourceVersion !== current.object.metadata.resourceVersion) {
      throw conflict(target(def, name), `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${current.object.metadata.resourceVersion}). The object might have been modified`);
    }
    if (pre.uid && pre.uid !== current.object.metadata.uid) {
      throw conflict(target(def, name), `the UID in the precondition (${pre.uid}) does not match the UID in record (${current.object.metadata.uid}). The object might have been deleted and then recreated`);
    }
    if (options.dryRun) return current;
    if (def === this.namespaces) this.deleteNamespaceContents(name);
    return this.store.delete(def, namespace, name)!;
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const def of this.defs) {
      if (!def.namespaced) continue;
      for (const stored of this.store.list(def, namespace)) this.store.delete(def, namespace, stored.object.metadata.name);
    }
  }

  private async apply(
    user: UserInfo,
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    subresource: string | undefined,
    current: StoredObject | undefined,
    body: unknown,
    options: WriteOptions,
  ): Promise<WriteResult> {
    if (!options.fieldManager) {
      throw badRequest('PATCH, Kind=Apply requires a fieldManager: fieldManager is required for apply requests');
    }
    const config = this.normalizeBody(def, body, namespace);
    if (config.metadata.name && config.metadata.name !== name) {
      throw badRequest(`the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`);
    }
    config.metadata.name = name;
    const time = formatTime(this.store.now());
    const merged = applyConfiguration(current?.object, config, options.fieldManager, options.force === true, time);
    merged.metadata.name = name;
    if (def.namespaced) merged.metadata.namespace = namespace;
    if (!current) {
      this.authorize(user, 'create', def, { name, namespace });
      this.checkNames(def, merged);
      await prepareCreate(def, merged, user);
      validateObject(def, merged);
      return this.commitCreate(def, merged, options);
    }
    const rv = config.metadata.resourceVersion;
    return this.commitUpdate(def, current, merged, subresource, rv, { ...options, fieldManager: undefined });
  }

  private commitCreate(def: ResourceDef, object: KObject, options: WriteOptions): WriteResult {
    if (def.namespaced && this.namespaces && !this.store.get(this.namespaces, undefined, object.metadata.namespace!)) {
      throw notFound({ group: '', resource: 'namespaces', name: object.metadata.namespace! });
    }
    if (this.store.get(def, object.metadata.namespace, object.metadata.name)) throw alreadyExists(target(def, object.metadata.name));
    if (options.dryRun) {
      object.metadata.uid ??= crypto.randomUUID(); // a Job's was given to its generated selector
      object.metadata.creationTimestamp = formatTime(this.store.now());
      if (def.generation) object.metadata.generation = 1;
      return { stored: transient(object), created: true };
    }
    return { stored: this.store.create(def, object), created: true };
  }

  private async commitUpdate(
    def: ResourceDef,
    current: StoredObject,
    incoming: KObject,
    subresource: string | undefined,
    rvPrecondition: string | undefined,
    options: WriteOptions,
  ): Promise<WriteResult> {
    if (rvPrecondition && rvPrecondition !== current.object.metadata.resourceVersion) {
      throw conflict(target(def, current.object.metadata.name), 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const next = prepareUpdate(def, current.object, incoming, subresource, this.store.now());
    validateObject(def, next);
    if (options.fieldManager) recordUpdate(current.object, next, options.fieldManager, subresource, formatTime(this.store.now()));
    else if (next.metadata.managedFields === undefined && current.object.metadata.managedFields) {
      next.metadata.managedFields = current.object.metadata.managedFields;
    }
    next.metadata.resourceVersion = current.object.metadata.resourceVersion;
    if (deepEqual(current.object, next)) return { stored: current, created: false };
    if (options.dryRun) return { stored: transient(next), created: false };
    // Re-check: another write may have landed while this one was being prepared.
    const latest = this.store.get(def, current.object.metadata.namespace, current.object.metadata.name);
    if (latest !== current) {
      throw conflict(target(def, current.object.metadata.name), 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return { stored: this.store.update(def, next), created: false };
  }

  /** Fills apiVersion/kind, checks they match the URL, and pins the namespace. */
  private normalizeBody(def: ResourceDef, body: unknown, namespace: string | undefined): KObject {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest(`the body of the request was in an unknown format - expected a ${def.kind} object`);
    }
    // Bodies are freshly parsed (HTTP) or built by the caller for this call (actors): no defensive copy.
    const object = body as KObject;
    if (object.kind && object.kind !== def.kind) {
      throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${def.apiVersion}) or kind ${object.kind} is not ${def.kind}`);
    }
    if (object.apiVersion && object.apiVersion !== def.apiVersion) {
      throw badRequest(`the API version in the data (${object.apiVersion}) does not match the expected API version (${def.apiVersion})`);
    }
    object.apiVersion = def.apiVersion;
    object.kind = def.kind;
    const meta = (object.metadata ?? {}) as KObject['metadata'];
    object.metadata = meta;
    if (def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw badRequest('the namespace of the provided object is missing');
    } else delete meta.namespace;
    return object;
  }

  /**
   * A generated name not in use yet: 2,000 CSRs from 27⁵ suffixes collide one run in seven, so the server retries
   * as kube-apiserver does since 1.31 (RetryGenerateName); still taken after that → AlreadyExists.
   */
  private generateFreeName(def: ResourceDef, namespace: string | undefined, prefix: string): string {
    let name = this.nameFor(prefix);
    for (let attempt = 1; attempt < GENERATE_NAME_ATTEMPTS && this.store.get(def, namespace, name); attempt++) name = this.nameFor(prefix);
    return name;
  }

  private checkNames(def: ResourceDef, object: KObject): void {
    const problem = checkName(object.metadata.name, def.resource === 'namespaces');
    if (problem) {
      throw invalid(def.kind, def.group, object.metadata.name, [{ field: 'metadata.name', message: `Invalid value: "${object.metadata.name}": ${problem}` }]);
    }
  }
}

function hasResourceVersion(patch: unknown): boolean {
  const meta = (patch as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof meta?.resourceVersion === 'string';
}

/** A continue token's resourceVersion for "the rest of the list from the latest snapshot" (kube's -1). */
const LATEST = '-1';

const INCONSISTENT_CONTINUE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
  'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
  'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function encodeContinue(rv: string, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: string; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'string' && typeof parsed.start === 'string') return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}
