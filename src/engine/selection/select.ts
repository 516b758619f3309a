// `run --only/--skip [--from-run]`: which steps run, which are reused from an earlier run, which are skipped as not selected.

import { UsageError } from '../../errors.js';
import type { Runbook, StepSpec } from '../../runbook/types.js';
import type { StepEndEvent } from '../journal/replay.js';
import type { StepOutcome } from '../state.js';
import { describeRead, listStepReads, type StepRead } from './reads.js';
import { checkStepIds } from './step-ids.js';

export interface SelectionRequest {
  /** Run only these steps (empty: all). */
  only: readonly string[];
  /** Do not run these. */
  skip: readonly string[];
  /** The run whose journaled outcomes unselected steps reuse, with each step's last step-end. */
  fromRun?: { runId: string; steps: ReadonlyMap<string, StepEndEvent> };
}

/** What a selection decided, recorded in run-start `selection` and used by the scheduler. */
export interface StepSelection {
  only?: string[];
  skip?: string[];
  fromRun?: string;
  /** Steps that run. */
  selected: string[];
  /** Unselected steps settled without running: reused (with reusedFrom) or skipped with skip 'selection'. */
  settled: Map<string, StepOutcome>;
}

/** Why an output in the earlier run cannot be handed on. */
export const REDACTED_NOT_REUSABLE = 'its journaled outputs were redacted (they held a secret), so they cannot be reused';

/**
 * Decides every step's fate; throws UsageError (exit 2) before anything runs for an unknown step id, or for a selected
 * step that needs or reads a step that is neither selected nor reusable from `fromRun` — naming both and the output.
 */
export function selectSteps(runbook: Runbook, request: SelectionRequest): StepSelection {
  checkStepIds(runbook, request.only, '--only');
  checkStepIds(runbook, request.skip, '--skip');
  const only = new Set(request.only);
  const skip = new Set(request.skip);
  const flag = skip.size > 0 && only.size === 0 ? '--skip' : '--only';
  const isSelected = (id: string) => (only.size === 0 || only.has(id)) && !skip.has(id);
  const selected: string[] = [];
  const settled = new Map<string, StepOutcome>();
  const unavailable = new Map<string, string>(); // unselected step → why its outputs are not available
  for (const step of runbook.steps) {
    if (isSelected(step.id)) {
      selected.push(step.id);
      continue;
    }
    const why = skip.has(step.id) ? 'not selected (--skip)' : 'not selected (--only)';
    const end = request.fromRun?.steps.get(step.id);
    const fromRun = request.fromRun?.runId;
    if (end && fromRun && end.status === 'succeeded' && end.outputsRedacted !== true) {
      settled.set(step.id, { status: 'succeeded', outputs: end.outputs ?? {}, reason: why, reused: true, reusedFrom: fromRun });
    } else if (end && fromRun && end.status === 'skipped' && end.skip === 'when') {
      settled.set(step.id, { status: 'skipped', outputs: {}, reason: end.reason, skip: 'when', reused: true, reusedFrom: fromRun });
    } else {
      const detail = describeUnavailable(end, fromRun);
      settled.set(step.id, { status: 'skipped', outputs: {}, reason: `${why}; ${detail}`, skip: 'selection' });
      unavailable.set(step.id, detail);
    }
  }
  checkSelectedReads(runbook, selected, unavailable, flag);
  return {
    ...(only.size ? { only: [...only] } : {}),
    ...(skip.size ? { skip: [...skip] } : {}),
    ...(request.fromRun ? { fromRun: request.fromRun.runId } : {}),
    selected,
    settled,
  };
}

function describeUnavailable(end: StepEndEvent | undefined, fromRun: string | undefined): string {
  if (fromRun === undefined) return 'no --from-run to reuse it from';
  if (!end) return `it did not run in run ${fromRun}`;
  if (end.status === 'succeeded') return `in run ${fromRun} ${REDACTED_NOT_REUSABLE}`;
  return `it did not succeed in run ${fromRun} (${end.status}${end.reason ? `: ${end.reason}` : ''})`;
}

// Every selected step must find what it needs: a selected step, or a reusable one.
function checkSelectedReads(runbook: Runbook, selected: readonly string[], unavailable: ReadonlyMap<string, string>, flag: string): void {
  const byId = new Map(runbook.steps.map((s) => [s.id, s]));
  const problems: string[] = [];
  for (const id of selected) {
    const step = byId.get(id)!;
    const seen = new Set<string>();
    for (const read of listStepReads(step)) {
      const detail = unavailable.get(read.stepId);
      const key = `${read.stepId}\u0000${describeRead(read)}`;
      if (detail === undefined || seen.has(key)) continue;
      seen.add(key);
      problems.push(describeProblem(runbook, step, read, detail));
    }
  }
  if (problems.length === 0) return;
  throw new UsageError(
    `${problems.join('\n')}\n` +
      `select the step${problems.length === 1 ? '' : 's'} it depends on too, or pass --from-run RUN_ID of a run where ` +
      `${problems.length === 1 ? 'it' : 'they'} succeeded (${flag} leaves them out)`,
  );
}

function describeProblem(runbook: Runbook, step: StepSpec, read: StepRead, detail: string): string {
  const where = `${runbook.file}:${step.position.line}:${step.position.col}`;
  return `${where}: spec.steps[${step.index}] (${step.id}).${read.field} ${describeRead(read)}, but step '${read.stepId}' is not selected and ${detail}`;
}
