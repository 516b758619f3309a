// Shapes shared by the store, the API layer and the actors.

import type { ResourceDef } from '../resources.js';

/** A Kubernetes object as stored: plain JSON. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: KMeta;
  [key: string]: unknown;
}

export interface KMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** An object with its serialized form, computed once per write so reads never re-serialize. */
export interface StoredObject {
  object: KObject;
  json: string;
  rv: number;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  rv: number;
  def: ResourceDef;
  stored: StoredObject;
  /** The object before the change (MODIFIED/DELETED), for selector transitions. */
  previous?: KObject;
}
