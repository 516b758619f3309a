// Cluster operators that settle (Available/Progressing/Degraded) on the scenario's schedule.

import type { OperatorPhase, OperatorSpec } from '../scenario/types.js';
import type { ClusterAccess } from './access.js';
import { bool, mergeConditions, type Condition } from './conditions.js';
import { runAt, type Scheduler } from './schedule.js';

function phaseConditions(phase: OperatorPhase): Condition[] {
  const r = phase.reason;
  return [
    { type: 'Available', status: bool(phase.available), reason: phase.available ? 'AsExpected' : r, message: phase.available ? 'All is well' : phase.message },
    { type: 'Progressing', status: bool(phase.progressing), reason: phase.progressing ? r : 'AsExpected', message: phase.progressing ? phase.message : 'All is well' },
    { type: 'Degraded', status: bool(phase.degraded), reason: phase.degraded ? r : 'AsExpected', message: phase.degraded ? phase.message : 'All is well' },
    { type: 'Upgradeable', status: 'True', reason: 'AsExpected', message: 'All is well' },
  ];
}

/** Writes a ClusterOperator's conditions and version (creating it first when absent). */
export async function setOperatorStatus(access: ClusterAccess, name: string, version: string, wanted: Condition[], now: number): Promise<void> {
  if (!access.get('clusteroperators', undefined, name)) {
    await access.create('clusteroperators', { metadata: { name }, spec: {} });
  }
  await access.updateStatus('clusteroperators', undefined, name, (co) => {
    const status = (co.status ?? {}) as { conditions?: Condition[]; versions?: unknown[]; relatedObjects?: unknown[] };
    const conditions = mergeConditions(status.conditions, wanted, now);
    const hasVersion = Array.isArray(status.versions) && status.versions.length > 0;
    if (!conditions && hasVersion) return false;
    co.status = {
      ...status,
      conditions: conditions ?? status.conditions,
      versions: [{ name: 'operator', version }],
      relatedObjects: status.relatedObjects ?? [{ group: '', resource: 'namespaces', name: `openshift-${name}` }],
    };
    return true;
  });
}

/** Creates each operator with its first phase and schedules the later ones. */
export async function startOperators(access: ClusterAccess, operators: OperatorSpec[], s: Scheduler): Promise<void> {
  for (const op of operators) {
    const [first, ...later] = op.phases;
    await setOperatorStatus(access, op.name, op.version, phaseConditions(first!), s.clock.now());
    for (const phase of later) {
      runAt(s, phase.at, `operator ${op.name}`, () => setOperatorStatus(access, op.name, op.version, phaseConditions(phase), s.clock.now()));
    }
  }
}
