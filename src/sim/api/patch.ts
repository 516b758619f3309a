// The three patch formats the API server accepts: JSON merge patch, JSON patch and strategic merge patch.

import { badRequest, ApiError } from './status.js';

type Json = unknown;
type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`the server rejected our request due to an error in our request: invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function locate(doc: Json, path: string[]): { parent: Json; key: string } {
  let parent: Json = doc;
  for (const part of path.slice(0, -1)) {
    if (Array.isArray(parent)) parent = parent[Number(part)];
    else if (isObject(parent)) parent = parent[part];
    else parent = undefined;
    if (parent === undefined) throw patchError(`doc is missing path: /${path.join('/')}`);
  }
  return { parent, key: path[path.length - 1]! };
}

function patchError(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}

function readAt(doc: Json, path: string[]): Json {
  let value: Json = doc;
  for (const part of path) {
    if (Array.isArray(value)) value = value[Number(part)];
    else if (isObject(value)) value = value[part];
    else return undefined;
  }
  return value;
}

function addAt(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return structuredClone(value);
  const { parent, key } = locate(doc, path);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw patchError(`add operation index out of bounds: ${key}`);
    parent.splice(index, 0, structuredClone(value));
  } else if (isObject(parent)) parent[key] = structuredClone(value);
  else throw patchError(`doc is missing path: /${path.join('/')}`);
  return doc;
}

function removeAt(doc: Json, path: string[]): Json {
  const { parent, key } = locate(doc, path);
  if (Array.isArray(parent)) {
    const index = Number(key);
    if (!(index >= 0 && index < parent.length)) throw patchError(`remove operation does not apply: doc is missing path: /${path.join('/')}`);
    parent.splice(index, 1);
  } else if (isObject(parent) && Object.hasOwn(parent, key)) delete parent[key];
  else throw patchError(`remove operation does not apply: doc is missing path: /${path.join('/')}`);
  return doc;
}

/** RFC 6902 operations applied in order to a copy of `target`; any failure rejects the whole patch. */
export function applyJsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops as JsonObject[]) {
    const path = decodePointer(String(op.path ?? ''));
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, op.value);
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (readAt(doc, path) === undefined) throw patchError(`replace operation does not apply: doc is missing key: /${path.join('/')}`);
        doc = removeAt(doc, path);
        doc = addAt(doc, path, op.value);
        break;
      case 'move': {
        const from = decodePointer(String(op.from ?? ''));
        const value = readAt(doc, from);
        if (value === undefined) throw patchError(`move operation does not apply: doc is missing from path: /${from.join('/')}`);
        doc = removeAt(doc, from);
        doc = addAt(doc, path, value);
        break;
      }
      case 'copy': {
        const value = readAt(doc, decodePointer(String(op.from ?? '')));
        if (value === undefined) throw patchError(`copy operation does not apply: doc is missing from path: ${String(op.from)}`);
        doc = addAt(doc, path, value);
        break;
      }
      case 'test':
        if (JSON.stringify(readAt(doc, path)) !== JSON.stringify(op.value)) throw patchError(`testing value /${path.join('/')} failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

/**
 * Merge keys of the lists that matter, by field name (Kubernetes' patchMergeKey tags):
 * conditions by type, containers/volumes/env by name, ports by containerPort, node addresses by type.
 */
const MERGE_KEYS: Record<string, string> = {
  conditions: 'type',
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  env: 'name',
  ports: 'containerPort',
  addresses: 'type',
  imagePullSecrets: 'name',
  tolerations: 'key',
  ownerReferences: 'uid',
  taints: 'key',
  hostAliases: 'ip',
};
/** Lists of scalars merged as sets ($patch semantics aside), as `finalizers` is. */
const SET_LISTS = new Set(['finalizers']);

/**
 * Strategic merge patch: a merge patch where keyed lists merge item by item, `$patch: delete|replace`
 * and `$deleteFromPrimitiveList/<field>` directives apply, and `$setElementOrder/<field>` is accepted.
 * `custom` resources (CRDs) do not support it, as on a real server.
 */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key.startsWith('$setElementOrder/') || key === '$retainKeys') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) out[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const mergeKey = MERGE_KEYS[key];
    if (Array.isArray(value) && mergeKey && Array.isArray(out[key])) {
      out[key] = mergeKeyedList(out[key] as Json[], value, mergeKey);
    } else if (Array.isArray(value) && SET_LISTS.has(key) && Array.isArray(out[key])) {
      const merged = [...(out[key] as Json[])];
      for (const v of value) if (!merged.includes(v)) merged.push(v);
      out[key] = merged;
    } else if (isObject(value)) {
      const merged = applyStrategicMergePatch(out[key], value);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

function mergeKeyedList(current: Json[], patch: Json[], mergeKey: string): Json[] {
  const replace = patch.find((item) => isObject(item) && item.$patch === 'replace' && item[mergeKey] === undefined);
  if (replace) return patch.filter((item) => item !== replace).map((item) => structuredClone(item));
  const out = current.map((item) => structuredClone(item));
  for (const item of patch) {
    if (!isObject(item) || item[mergeKey] === undefined) {
      out.push(structuredClone(item));
      continue;
    }
    const index = out.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = applyStrategicMergePatch(out[index], item);
    else {
      const { $patch: _, ...rest } = item;
      out.push(structuredClone(rest));
    }
  }
  return out;
}
