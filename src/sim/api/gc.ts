// The garbage collector's part of a DELETE: a deleted owner's dependents are deleted or orphaned as its propagationPolicy says.

import { CONTROLLER } from '../actors/access.js';
import type { ResourceDef } from '../resources.js';
import type { KObject } from '../store/types.js';
import type { ApiCore } from './core.js';
import { ApiError, invalid } from './status.js';

export type Propagation = 'Orphan' | 'Background' | 'Foreground';

const POLICIES: Propagation[] = ['Foreground', 'Background', 'Orphan'];

interface OwnerReference {
  uid?: string;
}

/** DeleteOptions' policy (body, then query, then the legacy orphanDependents); unset: Orphan for batch/v1 Jobs, Background for the rest, as their strategies default. */
export function propagationOf(def: ResourceDef, query: URLSearchParams, body: { propagationPolicy?: unknown; orphanDependents?: unknown } | undefined): Propagation {
  const given = body?.propagationPolicy ?? query.get('propagationPolicy') ?? (typeof body?.orphanDependents === 'boolean' ? (body.orphanDependents ? 'Orphan' : 'Background') : undefined);
  if (given === undefined || given === '') return def.group === 'batch' && def.resource === 'jobs' ? 'Orphan' : 'Background';
  if (!POLICIES.includes(given as Propagation)) {
    throw invalid('DeleteOptions', 'meta.k8s.io', '', [
      { field: 'propagationPolicy', message: `Unsupported value: ${JSON.stringify(given)}: supported values: "Foreground", "Background", "Orphan"`, reason: 'FieldValueNotSupported' },
    ]);
  }
  return given as Propagation;
}

/**
 * What the garbage collector does once `owner` is gone: a dependent with no other owner is deleted (Background; Foreground is treated alike,
 * the owner not waiting for them), recursively; with Orphan, or when other owners remain, only the reference to `owner` is dropped.
 * `deletePod` deletes a pod gracefully when a kubelet runs it (false: nothing runs it, delete it outright).
 */
export async function collectDependents(core: ApiCore, owner: KObject, policy: Propagation, deletePod: (namespace: string, name: string) => boolean): Promise<void> {
  const uid = owner.metadata.uid;
  if (!uid) return;
  const namespace = owner.metadata.namespace;
  for (const def of core.defs) {
    if (namespace !== undefined && !def.namespaced) continue;
    for (const stored of core.store.list(def, namespace)) {
      const refs = (stored.object.metadata.ownerReferences ?? []) as OwnerReference[];
      if (!refs.some((r) => r.uid === uid)) continue;
      const { name, namespace: ns } = stored.object.metadata;
      await ignoreGone(async () => {
        const rest = refs.filter((r) => r.uid !== uid);
        if (policy === 'Orphan' || rest.length > 0) {
          const metadata: Record<string, unknown> = { ...stored.object.metadata, ownerReferences: rest };
          if (rest.length === 0) delete metadata.ownerReferences;
          await core.update(CONTROLLER, def, ns, name, undefined, { ...stored.object, metadata }, { fieldManager: 'generic-garbage-collector' });
          return;
        }
        if (def.group === '' && def.resource === 'pods' && deletePod(ns!, name)) return;
        const deleted = core.delete(CONTROLLER, def, ns, name);
        await collectDependents(core, deleted.object, 'Background', deletePod);
      });
    }
  }
}

/** A dependent someone else deleted meanwhile is no error of the owner's DELETE. */
async function ignoreGone(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 404)) throw error;
  }
}
