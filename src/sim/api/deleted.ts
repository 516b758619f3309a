// What a DELETE answers: the deleted object only where the real registry sets ReturnDeletedObject, else a Success Status.

import type { ResourceDef } from '../resources.js';
import type { StoredObject } from '../store/types.js';

/** Built-in resources whose registry returns the deleted object (custom resources always do). */
const RETURNS_DELETED_OBJECT = new Set(['pods', 'persistentvolumeclaims', 'persistentvolumes', 'serviceaccounts', 'namespaces']);

/** The JSON body of a 200 answer to DELETE of one object (the sim deletes at once: no finalizers are pending). */
export function deletedBody(def: ResourceDef, deleted: StoredObject): string {
  if (def.custom || RETURNS_DELETED_OBJECT.has(def.resource)) return deleted.json;
  const { name, uid } = deleted.object.metadata;
  const details = { name, ...(def.group ? { group: def.group } : {}), kind: def.resource, ...(uid ? { uid } : {}) };
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details });
}
