// The cluster's object store: one monotonically increasing resourceVersion, a bounded event history for watches.

import { randomUUID } from 'node:crypto';
import type { ResourceDef } from '../resources.js';
import type { EventType, KObject, StoreEvent, StoredObject } from './types.js';

/** Key of an object inside its resource table. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

interface Table {
  objects: Map<string, StoredObject>;
  /** Keys in list order, built on the first list and kept sorted by every add/delete after that. */
  sorted: string[] | null;
}

/** Index of the first key >= `key` in a sorted array. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface StoreOptions {
  /** Events kept for watches that resume from a resourceVersion. @default 10000 */
  historySize?: number;
  /** Time source for creationTimestamp. */
  now: () => number;
}

type Listener = (event: StoreEvent) => void;

/** Formats a timestamp as Kubernetes does (RFC 3339, seconds precision). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ObjectStore {
  private rv = 1;
  private readonly tables = new Map<string, Table>();
  private history: StoreEvent[] = [];
  /** Events with rv <= compactedRv are gone from history. */
  private compactedRv = 1;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly anyListeners = new Set<Listener>();
  private readonly historySize: number;
  private listenerCalls = 0;
  readonly now: () => number;

  constructor(options: StoreOptions) {
    this.historySize = options.historySize ?? 10000;
    this.now = options.now;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Listener invocations so far: stays a small multiple of the writes unless something fans out per object. */
  get deliveries(): number {
    return this.listenerCalls;
  }

  /** Oldest resourceVersion a watch may resume from. */
  get oldestResumableRv(): number {
    return this.compactedRv;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): StoredObject | undefined {
    return this.table(def).objects.get(objectKey(def.namespaced ? namespace : undefined, name));
  }

  /** Objects in key order, optionally limited to one namespace. */
  list(def: ResourceDef, namespace?: string): StoredObject[] {
    const table = this.table(def);
    table.sorted ??= [...table.objects.keys()].sort();
    const out: StoredObject[] = [];
    const prefix = namespace && def.namespaced ? `${namespace}/` : undefined;
    for (const key of table.sorted) {
      if (prefix && !key.startsWith(prefix)) continue;
      out.push(table.objects.get(key)!);
    }
    return out;
  }

  count(def: ResourceDef): number {
    return this.table(def).objects.size;
  }

  /** Stores a new object (assigning uid, timestamps, resourceVersion); the caller checked it does not exist. */
  create(def: ResourceDef, object: KObject): StoredObject {
    const meta = object.metadata;
    meta.uid ??= randomUUID();
    meta.creationTimestamp ??= formatTime(this.now());
    if (def.generation) meta.generation = 1;
    return this.write(def, object, 'ADDED');
  }

  /** Replaces an existing object; the caller did the concurrency checks. */
  update(def: ResourceDef, object: KObject): StoredObject {
    return this.write(def, object, 'MODIFIED');
  }

  delete(def: ResourceDef, namespace: string | undefined, name: string): StoredObject | undefined {
    const table = this.table(def);
    const key = objectKey(def.namespaced ? namespace : undefined, name);
    const current = table.objects.get(key);
    if (!current) return undefined;
    const rv = ++this.rv;
    const object = structuredClone(current.object);
    object.metadata.resourceVersion = String(rv);
    const stored: StoredObject = { object, json: JSON.stringify(object), rv };
    table.objects.delete(key);
    // Keep the order instead of re-sorting everything on the next list (lists interleave with writes at scale).
    if (table.sorted) table.sorted.splice(lowerBound(table.sorted, key), 1);
    this.emit({ type: 'DELETED', rv, def, stored, previous: current.object });
    return stored;
  }

  /**
   * Events for `def` after `rv`, or 'expired' when history no longer reaches back that far.
   * History is global, so churn elsewhere can expire a quiet resource's watch — as etcd compaction does.
   */
  eventsSince(def: ResourceDef, rv: number): StoreEvent[] | 'expired' {
    if (rv < this.compactedRv) return 'expired';
    const out: StoreEvent[] = [];
    // History is ordered by rv; binary search for the first event after rv.
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.history.length; i++) {
      const event = this.history[i]!;
      if (event.def === def) out.push(event);
    }
    return out;
  }

  /** Calls `listener` for every change to `def` (or to anything, with `def` undefined). */
  subscribe(def: ResourceDef | undefined, listener: Listener): () => void {
    if (!def) {
      this.anyListeners.add(listener);
      return () => this.anyListeners.delete(listener);
    }
    let set = this.listeners.get(def.key);
    if (!set) this.listeners.set(def.key, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  private write(def: ResourceDef, object: KObject, type: EventType): StoredObject {
    const table = this.table(def);
    const key = objectKey(def.namespaced ? object.metadata.namespace : undefined, object.metadata.name);
    const previous = table.objects.get(key);
    const rv = ++this.rv;
    object.metadata.resourceVersion = String(rv);
    const stored: StoredObject = { object, json: JSON.stringify(object), rv };
    if (!previous && table.sorted) table.sorted.splice(lowerBound(table.sorted, key), 0, key);
    table.objects.set(key, stored);
    this.emit({ type, rv, def, stored, previous: previous?.object });
    return stored;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historySize + (this.historySize >> 2)) {
      const drop = this.history.length - this.historySize;
      this.compactedRv = this.history[drop - 1]!.rv;
      this.history = this.history.slice(drop);
    }
    const set = this.listeners.get(event.def.key);
    if (set) {
      this.listenerCalls += set.size;
      for (const listener of [...set]) listener(event);
    }
    this.listenerCalls += this.anyListeners.size;
    for (const listener of [...this.anyListeners]) listener(event);
  }

  private table(def: ResourceDef): Table {
    let table = this.tables.get(def.key);
    if (!table) this.tables.set(def.key, (table = { objects: new Map(), sorted: null }));
    return table;
  }
}
