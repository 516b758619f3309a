// `resume --from STEP`: take what resume would reuse, then run STEP and everything downstream of it again.

import type { Runbook } from '../../runbook/types.js';
import type { StepOutcome } from '../state.js';
import { findDownstream } from './downstream.js';
import { checkStepIds } from './step-ids.js';

/**
 * Removes the `from` steps and their transitive dependants from `reused`, adding each to `rerun` with why
 * (`--from a`, `downstream of --from a (needs b)`); a reason already in `rerun` (e.g. redacted outputs) is kept.
 * Throws UsageError (exit 2) for an unknown step id.
 */
export function applyFrom(
  runbook: Runbook,
  from: readonly string[],
  selection: { reused: Map<string, StepOutcome>; rerun: Map<string, string> },
): { reused: Map<string, StepOutcome>; rerun: Map<string, string> } {
  checkStepIds(runbook, from, '--from');
  const reused = new Map(selection.reused);
  const rerun = new Map(selection.rerun);
  for (const [id, reason] of findDownstream(runbook, from)) {
    reused.delete(id);
    if (!rerun.has(id)) rerun.set(id, reason);
  }
  return { reused, rerun };
}
