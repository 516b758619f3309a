// Field ownership for server-side apply: leaf paths of an object, fieldsV1 encoding, and apply with conflicts.

import { deepEqual } from './equal.js';
import { ApiError } from './status.js';
import type { KObject } from '../store/types.js';

type JsonObject = Record<string, unknown>;

/** Lists merged per item by this key (the subset of patchMergeKeys that matters here). */
const LIST_KEYS: Record<string, string> = {
  conditions: 'type',
  containers: 'name',
  initContainers: 'name',
  volumes: 'name',
  env: 'name',
  ports: 'containerPort',
  addresses: 'type',
  volumeMounts: 'mountPath',
};

const SEP = '\u0000';
const IGNORED_TOP = new Set(['apiVersion', 'kind', 'status']);
const TRACKED_META = new Set(['labels', 'annotations']);

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Leaf paths (`f:`/`k:` segments joined by NUL) of everything a config sets, except identity and status. */
export function collectFields(object: unknown, forStatus = false): Set<string> {
  const out = new Set<string>();
  if (!isObject(object)) return out;
  for (const [key, value] of Object.entries(object)) {
    if (key === 'metadata') {
      if (!isObject(value)) continue;
      for (const metaKey of TRACKED_META) {
        if (isObject(value[metaKey])) walk(value[metaKey], [`f:metadata`, `f:${metaKey}`], out, metaKey);
      }
      continue;
    }
    if (key === 'status' ? !forStatus : IGNORED_TOP.has(key) || forStatus) continue;
    walk(value, [`f:${key}`], out, key);
  }
  return out;
}

function walk(value: unknown, path: string[], out: Set<string>, field: string): void {
  const mergeKey = LIST_KEYS[field];
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) walk(v, [...path, `f:${k}`], out, k);
  } else if (Array.isArray(value) && mergeKey && value.every((item) => isObject(item) && item[mergeKey] !== undefined)) {
    for (const item of value as JsonObject[]) {
      const itemPath = [...path, `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`];
      for (const [k, v] of Object.entries(item)) walk(v, [...itemPath, `f:${k}`], out, k);
    }
  } else {
    out.add(path.join(SEP));
  }
}

/** The fieldsV1 object for a set of leaf paths. */
export function toFieldsV1(fields: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  for (const path of fields) {
    let node = root;
    for (const segment of path.split(SEP)) {
      node[segment] ??= {};
      node = node[segment] as JsonObject;
    }
  }
  return root;
}

export function fromFieldsV1(fieldsV1: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (node: unknown, path: string[]) => {
    if (!isObject(node)) return;
    const keys = Object.keys(node).filter((k) => k !== '.');
    if (keys.length === 0 && path.length > 0) out.add(path.join(SEP));
    for (const key of keys) visit(node[key], [...path, key]);
  };
  visit(fieldsV1, []);
  return out;
}

/** Reads the value at a leaf path, or undefined. */
export function readPath(object: unknown, path: string): unknown {
  let node: unknown = object;
  for (const segment of path.split(SEP)) {
    if (segment.startsWith('f:')) {
      if (!isObject(node)) return undefined;
      node = node[segment.slice(2)];
    } else if (segment.startsWith('k:')) {
      if (!Array.isArray(node)) return undefined;
      const key = JSON.parse(segment.slice(2)) as JsonObject;
      const [k, v] = Object.entries(key)[0]!;
      node = node.find((item) => isObject(item) && item[k] === v);
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/** Removes the value at a leaf path (and a keyed list item left with only its key). */
function removePath(object: JsonObject, path: string): void {
  const segments = path.split(SEP);
  const parents: unknown[] = [];
  let node: unknown = object;
  for (const segment of segments.slice(0, -1)) {
    parents.push(node);
    node = readPath(node, segment);
    if (node === undefined) return;
  }
  const last = segments[segments.length - 1]!;
  if (last.startsWith('f:') && isObject(node)) delete node[last.slice(2)];
  // Drop a keyed list item that now holds nothing but its merge key.
  if (segments.length >= 2 && segments[segments.length - 2]!.startsWith('k:') && isObject(node) && Object.keys(node).length <= 1) {
    const list = parents[parents.length - 1];
    if (Array.isArray(list)) list.splice(list.indexOf(node), 1);
  }
}

/** A config merged into the live object: maps recursively, keyed lists item by item, other lists replaced. */
function mergeConfig(live: unknown, config: unknown, field = ''): unknown {
  if (isObject(config)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) out[k] = mergeConfig(out[k], v, k);
    return out;
  }
  const mergeKey = LIST_KEYS[field];
  if (Array.isArray(config) && Array.isArray(live) && mergeKey) {
    const out = [...live];
    for (const item of config) {
      const index = isObject(item) ? out.findIndex((e) => isObject(e) && e[mergeKey] === item[mergeKey]) : -1;
      if (index >= 0) out[index] = mergeConfig(out[index], item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  return structuredClone(config);
}

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

function entriesOf(object: KObject): ManagedFieldsEntry[] {
  return (Array.isArray(object.metadata.managedFields) ? object.metadata.managedFields : []) as ManagedFieldsEntry[];
}

function setEntry(entries: ManagedFieldsEntry[], entry: ManagedFieldsEntry): ManagedFieldsEntry[] {
  const rest = entries.filter((e) => !(e.manager === entry.manager && e.operation === entry.operation && (e.subresource ?? '') === (entry.subresource ?? '')));
  return Object.keys(entry.fieldsV1).length > 0 ? [...rest, entry] : rest;
}

/**
 * Leaf paths (as collectFields names them) whose value `next` sets differently from `old`. Walks both together and
 * skips subtrees they share by reference, so a write that changes one field costs O(that field), not O(object).
 */
export function changedFields(old: KObject | undefined, next: KObject, forStatus = false): Set<string> {
  const out = new Set<string>();
  const before = old as JsonObject | undefined;
  for (const [key, value] of Object.entries(next)) {
    if (key === 'metadata') {
      if (!isObject(value)) continue;
      const oldMeta = isObject(before?.metadata) ? before.metadata : undefined;
      for (const metaKey of TRACKED_META) {
        if (isObject(value[metaKey])) diffWalk(oldMeta?.[metaKey], value[metaKey], ['f:metadata', `f:${metaKey}`], out, metaKey);
      }
      continue;
    }
    if (key === 'status' ? !forStatus : IGNORED_TOP.has(key) || forStatus) continue;
    diffWalk(before?.[key], value, [`f:${key}`], out, key);
  }
  return out;
}

function diffWalk(before: unknown, value: unknown, path: string[], out: Set<string>, field: string): void {
  if (before === value) return;
  const mergeKey = LIST_KEYS[field];
  if (isObject(value) && Object.keys(value).length > 0) {
    const old = isObject(before) ? before : undefined;
    for (const [k, v] of Object.entries(value)) diffWalk(old?.[k], v, [...path, `f:${k}`], out, k);
  } else if (Array.isArray(value) && mergeKey && value.every((item) => isObject(item) && item[mergeKey] !== undefined)) {
    for (const item of value as JsonObject[]) {
      const itemPath = [...path, `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`];
      const old = Array.isArray(before) ? (before.find((e) => isObject(e) && e[mergeKey] === item[mergeKey]) as JsonObject | undefined) : undefined;
      for (const [k, v] of Object.entries(item)) diffWalk(old?.[k], v, [...itemPath, `f:${k}`], out, k);
    }
  } else if (!deepEqual(before, value)) {
    out.add(path.join(SEP));
  }
}

/** Records the fields a non-apply write changed as owned by its manager, taking them from other managers. */
export function recordUpdate(
  old: KObject | undefined,
  next: KObject,
  manager: string,
  subresource: string | undefined,
  time: string,
): void {
  const changed = changedFields(old, next, subresource === 'status');
  if (changed.size === 0 && old) {
    next.metadata.managedFields = old.metadata.managedFields;
    if (next.metadata.managedFields === undefined) delete next.metadata.managedFields;
    return;
  }
  // Other managers' entries are rebuilt only when this write took one of their fields.
  let entries = entriesOf(old ?? next).map((e) => {
    if (e.manager === manager && e.operation === 'Update') return e;
    const owned = fromFieldsV1(e.fieldsV1);
    let lost = false;
    for (const path of changed) lost = owned.delete(path) || lost;
    return lost ? { ...e, fieldsV1: toFieldsV1(owned) } : e;
  }).filter((e) => Object.keys(e.fieldsV1).length > 0);
  const mine = entries.find((e) => e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? ''));
  const owned = mine ? fromFieldsV1(mine.fieldsV1) : new Set<string>();
  for (const path of changed) owned.add(path);
  const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion: next.apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(owned) };
  if (subresource) entry.subresource = subresource;
  entries = setEntry(entries, entry);
  // An empty list is left out, as Go's omitempty does: a typed client reads null, not [].
  if (entries.length > 0) next.metadata.managedFields = entries;
  else delete next.metadata.managedFields;
}

function describePath(path: string): string {
  return path
    .split(SEP)
    .map((s) => (s.startsWith('f:') ? `.${s.slice(2)}` : `[${s.slice(2).replace(/^\{"(\w+)":/, '$1=').replace(/\}$/, '')}]`))
    .join('');
}

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined when creating): conflicts with other
 * owners of a differing value are a 409 unless `force`; fields this manager applied before and dropped now are removed.
 */
export function applyConfiguration(
  live: KObject | undefined,
  config: KObject,
  manager: string,
  force: boolean,
  time: string,
): KObject {
  const configFields = collectFields(config);
  const entries = live ? entriesOf(live) : [];
  const conflicts: Array<{ manager: string; path: string }> = [];
  for (const entry of entries) {
    if (entry.manager === manager) continue;
    for (const path of fromFieldsV1(entry.fieldsV1)) {
      if (configFields.has(path) && JSON.stringify(readPath(live, path)) !== JSON.stringify(readPath(config, path))) {
        conflicts.push({ manager: entry.manager, path });
      }
    }
  }
  if (conflicts.length > 0 && !force) {
    const lines = conflicts.map((c) => `conflict with "${c.manager}": ${describePath(c.path)}`);
    const message = conflicts.length === 1 ? `Apply failed with 1 conflict: ${lines[0]}` : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
    throw new ApiError(409, 'Conflict', message, {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: describePath(c.path) })),
    });
  }
  const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const previouslyApplied = mine ? fromFieldsV1(mine.fieldsV1) : new Set<string>();
  const ownedByOthers = new Set<string>();
  for (const entry of entries) if (entry !== mine) for (const p of fromFieldsV1(entry.fieldsV1)) ownedByOthers.add(p);
  const base = structuredClone(live ?? { apiVersion: config.apiVersion, kind: config.kind, metadata: { name: config.metadata.name } }) as KObject;
  for (const path of previouslyApplied) {
    if (!configFields.has(path) && !ownedByOthers.has(path)) removePath(base, path);
  }
  const merged = mergeConfig(base, { ...config, metadata: { labels: config.metadata.labels, annotations: config.metadata.annotations } }) as KObject;
  if (!config.metadata.labels) delete merged.metadata.labels;
  if (!config.metadata.annotations) delete merged.metadata.annotations;
  if (base.metadata.labels && !config.metadata.labels) merged.metadata.labels = base.metadata.labels;
  if (base.metadata.annotations && !config.metadata.annotations) merged.metadata.annotations = base.metadata.annotations;
  // Forced fields change hands; equal values stay shared.
  let next = entries
    .filter((e) => e !== mine)
    .map((e) => {
      const owned = fromFieldsV1(e.fieldsV1);
      for (const c of conflicts) if (c.manager === e.manager) owned.delete(c.path);
      return { ...e, fieldsV1: toFieldsV1(owned) };
    })
    .filter((e) => Object.keys(e.fieldsV1).length > 0);
  next = setEntry(next, { manager, operation: 'Apply', apiVersion: config.apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(configFields) });
  merged.metadata.managedFields = next;
  return merged;
}
