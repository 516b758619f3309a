// The rules `kubectl rollout status` applies to Deployments, DaemonSets and StatefulSets, as a pure judge.

import type { KubeObject } from '../../k8s/types.js';
import type { Verdict } from './watch-until.js';

export const ROLLOUT_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet'] as const;
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

interface Workload {
  metadata: { generation?: number; name?: string };
  spec?: {
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    currentReplicas?: number;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    currentRevision?: string;
    updateRevision?: string;
    conditions?: { type?: string; status?: string; reason?: string }[];
  };
}

const n = (v: number | undefined) => v ?? 0;

function deploymentStatus(d: Workload): Verdict {
  const s = d.status ?? {};
  if (n(d.metadata.generation) > n(s.observedGeneration)) return { done: false, detail: 'waiting for the deployment spec update to be observed' };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, detail: 'progress deadline exceeded', fail: `deployment "${d.metadata.name}" exceeded its progress deadline` };
  }
  const want = d.spec?.replicas;
  if (want !== undefined && n(s.updatedReplicas) < want) {
    return { done: false, detail: `${n(s.updatedReplicas)} out of ${want} new replicas have been updated` };
  }
  if (n(s.replicas) > n(s.updatedReplicas)) {
    return { done: false, detail: `${n(s.replicas) - n(s.updatedReplicas)} old replicas are pending termination` };
  }
  if (n(s.availableReplicas) < n(s.updatedReplicas)) {
    return { done: false, detail: `${n(s.availableReplicas)} of ${n(s.updatedReplicas)} updated replicas are available` };
  }
  return { done: true, detail: `deployment "${d.metadata.name}" successfully rolled out` };
}

function daemonSetStatus(ds: Workload): Verdict {
  const s = ds.status ?? {};
  const strategy = ds.spec?.updateStrategy?.type ?? 'RollingUpdate';
  if (strategy !== 'RollingUpdate') return { done: false, detail: `strategy ${strategy}`, fail: `rollout status is only available for RollingUpdate strategy type (got ${strategy})` };
  if (n(ds.metadata.generation) > n(s.observedGeneration)) return { done: false, detail: 'waiting for the daemon set spec update to be observed' };
  if (n(s.updatedNumberScheduled) < n(s.desiredNumberScheduled)) {
    return { done: false, detail: `${n(s.updatedNumberScheduled)} out of ${n(s.desiredNumberScheduled)} new pods have been updated` };
  }
  if (n(s.numberAvailable) < n(s.desiredNumberScheduled)) {
    return { done: false, detail: `${n(s.numberAvailable)} of ${n(s.desiredNumberScheduled)} updated pods are available` };
  }
  return { done: true, detail: `daemon set "${ds.metadata.name}" successfully rolled out` };
}

function statefulSetStatus(sts: Workload): Verdict {
  const s = sts.status ?? {};
  const strategy = sts.spec?.updateStrategy?.type ?? 'RollingUpdate';
  if (strategy !== 'RollingUpdate') return { done: false, detail: `strategy ${strategy}`, fail: `rollout status is only available for RollingUpdate strategy type (got ${strategy})` };
  if (s.observedGeneration === undefined || n(sts.metadata.generation) > s.observedGeneration) {
    return { done: false, detail: 'waiting for the statefulset spec update to be observed' };
  }
  const want = sts.spec?.replicas;
  if (want !== undefined && n(s.readyReplicas) < want) {
    return { done: false, detail: `waiting for ${want - n(s.readyReplicas)} pods to be ready` };
  }
  const partition = sts.spec?.updateStrategy?.rollingUpdate?.partition;
  if (want !== undefined && partition !== undefined && partition > 0) {
    if (n(s.updatedReplicas) < want - partition) {
      return { done: false, detail: `waiting for partitioned roll out to finish: ${n(s.updatedReplicas)} out of ${want - partition} new pods have been updated` };
    }
    return { done: true, detail: `partitioned roll out complete: ${n(s.updatedReplicas)} new pods have been updated` };
  }
  if (s.updateRevision !== s.currentRevision) {
    return { done: false, detail: `waiting for statefulset rolling update to complete ${n(s.updatedReplicas)} pods at revision ${s.updateRevision}` };
  }
  return { done: true, detail: `statefulset rolling update complete ${n(s.currentReplicas)} pods at revision ${s.currentRevision}` };
}

/** Verdict of `kubectl rollout status` for one workload object. */
export function judgeRollout(kind: RolloutKind, object: KubeObject | undefined): Verdict {
  if (!object) return { done: false, detail: 'not found', fail: 'the object was deleted while rolling out' };
  const w = object as unknown as Workload;
  if (kind === 'Deployment') return deploymentStatus(w);
  if (kind === 'DaemonSet') return daemonSetStatus(w);
  return statefulSetStatus(w);
}
