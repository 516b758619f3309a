// The simulated StatefulSet controller's status through a rollout, judged by the same rules as `kubectl rollout status`.

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/types.js';
import { computeStatefulSetStatus, nameRevision } from '../../src/sim/actors/statefulset-status.js';
import type { KObject } from '../../src/sim/store/types.js';
import { judgeRollout } from '../../src/steps/k8s/rollout-status.js';

function statefulSet(generation: number, image: string, partition?: number): KObject & { spec: { template: Record<string, unknown> } } {
  const rollingUpdate = partition === undefined ? {} : { rollingUpdate: { partition } };
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default', generation },
    spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', ...rollingUpdate }, template: { spec: { containers: [{ name: 'db', image }] } } },
  } as KObject & { spec: { template: Record<string, unknown> } };
}

const judge = (object: KObject, status: object) => judgeRollout('StatefulSet', { ...object, status } as unknown as KubeObject).detail;

describe('StatefulSet rollout status', () => {
  const created = statefulSet(1, 'db:1');
  const settled = computeStatefulSetStatus(created, undefined, 1, 'complete');

  it('names a revision per template, in the NAME-HASH shape', () => {
    expect(nameRevision('db', created.spec!.template)).toBe(nameRevision('db', statefulSet(5, 'db:1').spec!.template));
    expect(nameRevision('db', created.spec!.template)).not.toBe(nameRevision('db', statefulSet(1, 'db:2').spec!.template));
    expect(nameRevision('db', created.spec!.template)).toMatch(/^db-[bcdfghjklmnpqrstvwxz2456789]+$/);
  });

  it('moves every pod to the new revision', () => {
    const updated = statefulSet(2, 'db:2');
    const rolling = computeStatefulSetStatus(updated, settled, 2, 'rolling');
    expect(rolling).toMatchObject({ currentRevision: settled.currentRevision, readyReplicas: 2, updatedReplicas: 0 });
    expect(judge(updated, rolling)).toBe('waiting for 1 pods to be ready');
    const done = computeStatefulSetStatus(updated, rolling, 2, 'complete');
    expect(done.currentRevision).toBe(done.updateRevision);
    expect(done.updateRevision).not.toBe(settled.currentRevision);
    expect(judge(updated, done)).toBe(`statefulset rolling update complete 3 pods at revision ${done.updateRevision}`);
  });

  it('updates only the ordinals at or above the partition, keeping the old revision current', () => {
    const partitioned = statefulSet(2, 'db:2', 2);
    const done = computeStatefulSetStatus(partitioned, computeStatefulSetStatus(partitioned, settled, 2, 'rolling'), 2, 'complete');
    expect(done).toMatchObject({ updatedReplicas: 1, currentReplicas: 2, currentRevision: settled.currentRevision, readyReplicas: 3 });
    expect(judge(partitioned, done)).toBe('partitioned roll out complete: 1 new pods have been updated');
  });
});
