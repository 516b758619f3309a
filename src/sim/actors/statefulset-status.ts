// The StatefulSet controller's status at each stage of a rollout: the fields `kubectl rollout status` reads
// (observedGeneration, readyReplicas, updatedReplicas, currentRevision/updateRevision), partitions included.

import type { KObject } from '../store/types.js';
import type { Json } from '../json.js';

export type RolloutStage = 'initial' | 'rolling' | 'complete';

// rand.SafeEncodeString's alphabet: revision names look like the real `web-7b8c9d6f5`.
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** ControllerRevision name of a pod template: `NAME-HASH`, a new one for each template change. */
export function nameRevision(name: string, template: unknown): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(JSON.stringify(template ?? {}))) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  const encoded = [...String(hash)].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
  return `${name}-${encoded}`;
}

/**
 * Status for `generation` at `stage`; `previous` is the stored status (its currentRevision is the revision pods run now).
 * Pods are replaced one at a time from the highest ordinal; only ordinals ≥ the partition move to the new revision.
 */
export function computeStatefulSetStatus(object: KObject, previous: Json | undefined, generation: number, stage: RolloutStage): Json {
  const spec = (object.spec ?? {}) as Json;
  const desired: number = spec.replicas ?? 1;
  const partition: number = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  const updateRevision = nameRevision(object.metadata.name, spec.template);
  const oldRevision: string = stage === 'initial' ? updateRevision : (previous?.currentRevision ?? updateRevision);
  const toUpdate = oldRevision === updateRevision ? desired : Math.max(0, desired - partition);
  const base = { observedGeneration: generation, collisionCount: 0, updateRevision };
  if (stage === 'initial') {
    return { ...base, replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0, currentRevision: updateRevision };
  }
  if (stage === 'rolling') {
    const replacing = toUpdate > 0 ? 1 : 0;
    const updated = oldRevision === updateRevision ? desired : 0;
    return {
      ...base,
      replicas: desired,
      readyReplicas: desired - replacing,
      availableReplicas: desired - replacing,
      currentReplicas: desired,
      updatedReplicas: updated,
      currentRevision: oldRevision,
    };
  }
  const all = toUpdate === desired;
  return {
    ...base,
    replicas: desired,
    readyReplicas: desired,
    availableReplicas: desired,
    currentReplicas: all ? desired : desired - toUpdate,
    updatedReplicas: toUpdate,
    currentRevision: all ? updateRevision : oldRevision,
  };
}
