// Reads a ClusterOperator's Available/Progressing/Degraded conditions the way `oc get clusteroperators` shows them.

import type { ReportTable } from '../../engine/events.js';
import type { KubeObject } from '../../k8s/types.js';
import { formatDurationHuman } from '../../time/duration.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface OperatorCondition {
  status: ConditionStatus;
  reason?: string;
  message?: string;
  /** lastTransitionTime as the operator reported it. */
  since?: string;
}

export interface OperatorState {
  name: string;
  available: OperatorCondition;
  progressing: OperatorCondition;
  degraded: OperatorCondition;
}

interface RawCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

function readCondition(conditions: RawCondition[], type: string): OperatorCondition {
  const c = conditions.find((x) => x.type === type);
  if (!c) return { status: 'Unknown', message: `no ${type} condition reported yet` };
  const status: ConditionStatus = c.status === 'True' || c.status === 'False' ? c.status : 'Unknown';
  return {
    status,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
    ...(c.lastTransitionTime ? { since: c.lastTransitionTime } : {}),
  };
}

export function readOperatorState(co: KubeObject): OperatorState {
  const status = (co.status ?? {}) as { conditions?: RawCondition[] };
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  return {
    name: co.metadata.name ?? '',
    available: readCondition(conditions, 'Available'),
    progressing: readCondition(conditions, 'Progressing'),
    degraded: readCondition(conditions, 'Degraded'),
  };
}

/** The state a missing operator is shown with. */
export function missingOperatorState(name: string): OperatorState {
  const missing: OperatorCondition = { status: 'Unknown', message: 'ClusterOperator not found' };
  return { name, available: missing, progressing: missing, degraded: missing };
}

/** Available=True, Degraded=False and (unless allowed) Progressing=False. */
export function isSettled(state: OperatorState, allowProgressing = false): boolean {
  return (
    state.available.status === 'True' &&
    state.degraded.status === 'False' &&
    (allowProgressing || state.progressing.status === 'False')
  );
}

/** The condition that keeps an operator from settling, worst first: Degraded, then not Available, then Progressing. */
export function blockingCondition(state: OperatorState, allowProgressing = false): { type: string; condition: OperatorCondition } | undefined {
  if (state.degraded.status !== 'False') return { type: 'Degraded', condition: state.degraded };
  if (state.available.status !== 'True') return { type: 'Available', condition: state.available };
  if (!allowProgressing && state.progressing.status !== 'False') return { type: 'Progressing', condition: state.progressing };
  return undefined;
}

/** "image-registry Degraded=True (Unavailable: The deployment does not have available replicas)". */
export function describeUnsettled(state: OperatorState, allowProgressing = false): string {
  const blocking = blockingCondition(state, allowProgressing);
  if (!blocking) return `${state.name} settled`;
  const { type, condition } = blocking;
  const why = [condition.reason, condition.message].filter(Boolean).join(': ');
  return `${state.name} ${type}=${condition.status}${why ? ` (${why})` : ''}`;
}

/** How long ago a condition last changed, the way `oc get clusteroperators` shows SINCE ("12m"). */
function formatSince(since: string | undefined, now: number): string {
  const at = since ? Date.parse(since) : NaN;
  return Number.isNaN(at) ? '' : formatDurationHuman(Math.max(0, now - at));
}

/** The `oc get clusteroperators` view: name, Available, Progressing, Degraded, since, message. */
export function formatOperatorTable(
  title: string,
  states: OperatorState[],
  now: number,
  allowProgressing: (name: string) => boolean = () => false,
): ReportTable {
  return {
    title,
    columns: ['name', 'available', 'progressing', 'degraded', 'since', 'message'],
    rows: states.map((s) => {
      const blocking = blockingCondition(s, allowProgressing(s.name))?.condition;
      const shown = blocking ?? s.available;
      return [
        s.name,
        s.available.status,
        s.progressing.status,
        s.degraded.status,
        formatSince(shown.since, now),
        [shown.reason, shown.message].filter(Boolean).join(': '),
      ];
    }),
  };
}

/** Plain-JSON form for step outputs. */
export function toOutputState(state: OperatorState): Record<string, unknown> {
  return {
    name: state.name,
    available: state.available.status,
    progressing: state.progressing.status,
    degraded: state.degraded.status,
    conditions: { Available: state.available, Progressing: state.progressing, Degraded: state.degraded },
  };
}
