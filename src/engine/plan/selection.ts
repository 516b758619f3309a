// A partial run's plan: for each step, whether it would run, be reused from --from-run, or be skipped as not selected.

import type { StepSelection } from '../selection/select.js';

/** What a partial run would do with one step, and why. */
export interface PlannedSelection {
  /** run: selected; reuse: its journaled outcome from `reusedFrom` stands in; skip: not selected, nothing to reuse. */
  action: 'run' | 'reuse' | 'skip';
  reason?: string;
  reusedFrom?: string;
}

/** undefined when no selection was asked for (every step would run). */
export function planSelection(stepId: string, selection: StepSelection | undefined): PlannedSelection | undefined {
  if (!selection) return undefined;
  const settled = selection.settled.get(stepId);
  if (!settled) return { action: 'run' };
  if (settled.reused) {
    return { action: 'reuse', ...(settled.reason !== undefined ? { reason: settled.reason } : {}), ...(settled.reusedFrom ? { reusedFrom: settled.reusedFrom } : {}) };
  }
  return { action: 'skip', ...(settled.reason !== undefined ? { reason: settled.reason } : {}) };
}
