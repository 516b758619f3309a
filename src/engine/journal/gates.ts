// Gates a run is waiting on, read back from its journal (for `opsbook runs` and `opsbook approve|reject`).

import type { GatePolicy } from '../../steps/types.js';
import type { EngineEvent } from '../events.js';
import { GATE_TABLE, WAITING_PREFIX, parseGateRow } from '../../steps/gate-table.js';

export interface WaitingGate {
  stepId: string;
  message: string;
  /** ISO time the gate started waiting. */
  since: string;
  policy?: GatePolicy;
}

/** Gates that started waiting (in the latest start of their step) and have no answer or end yet. */
export function findWaitingGates(events: readonly EngineEvent[]): WaitingGate[] {
  const waiting = new Map<string, WaitingGate>();
  for (const event of events) {
    if (event.type === 'step-progress' && event.detail.startsWith(WAITING_PREFIX)) {
      waiting.set(event.stepId, { stepId: event.stepId, message: event.detail.slice(WAITING_PREFIX.length), since: event.time });
    } else if (event.type === 'step-report' && event.table.title === GATE_TABLE && event.table.rows[0]) {
      const gate = waiting.get(event.stepId);
      if (gate) gate.policy = parseGateRow(event.table.rows[0]);
    } else if (event.type === 'step-approval' || event.type === 'step-end' || event.type === 'attempt-end' || event.type === 'run-end') {
      if (event.type === 'run-end') waiting.clear();
      else waiting.delete(event.stepId);
    }
  }
  return [...waiting.values()];
}
