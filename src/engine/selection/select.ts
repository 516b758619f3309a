// `run --only/--skip/--from [--from-run]`: which steps run, which are reused from an earlier run, which are skipped as not selected.

import { UsageError } from '../../errors.js';
import type { Runbook, StepSpec } from '../../runbook/types.js';
import type { StepEndEvent } from '../journal/replay.js';
import type { StepOutcome } from '../state.js';
import { describeRead, listStepReads, type StepRead } from './reads.js';
import { findDownstream } from './downstream.js';
import { checkStepIds } from './step-ids.js';

export interface SelectionRequest {
  /** Run only these steps (empty: all). */
  only: readonly string[];
  /** Do not run these. */
  skip: readonly string[];
  /** Run these and everything downstream of them (instead of `only`, which must then be empty). */
  from?: readonly string[];
  /** The run whose journaled outcomes unselected steps reuse, with each step's last step-end. */
  fromRun?: { runId: string; steps: ReadonlyMap<string, StepEndEvent> };
}

/** What a selection decided, recorded in run-start `selection` and used by the scheduler. */
export interface StepSelection {
  only?: string[];
  skip?: string[];
  from?: string[];
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
  const from = [...new Set(request.from ?? [])];
  if (from.length > 0 && request.only.length > 0) throw new UsageError('--from selects the steps to run itself; it cannot be combined with --only');
  checkStepIds(runbook, from, '--from');
  const only = new Set(from.length > 0 ? findDownstream(runbook, from).keys() : request.only);
  const skip = new Set(request.skip);
  // Each reason names the flag that left the step out, as the operator typed it.
  const notSelected = (id: string): string =>
    skip.has(id) ? `not selected (--skip ${id})` : from.length > 0 ? `not selected (not downstream of --from ${from.join(',')})` : `not selected (--only ${request.only.join(',')})`;
  const asked = [from.length > 0 ? `--from ${from.join(',')}` : '', request.only.length > 0 ? `--only ${request.only.join(',')}` : '', skip.size > 0 ? `--skip ${[...skip].join(',')}` : '']
    .filter(Boolean)
    .join(' ');
  const isSelected = (id: string) => (only.size === 0 || only.has(id)) && !skip.has(id);
  const selected: string[] = [];
  const settled = new Map<string, StepOutcome>();
  const unavailable = new Map<string, string>(); // unselected step → why its outputs are not available
  for (const step of runbook.steps) {
    if (isSelected(step.id)) {
      selected.push(step.id);
      continue;
    }
    const why = notSelected(step.id);
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
  checkSelectedReads(runbook, selected, unavailable, asked);
  return {
    ...(from.length > 0 ? { from } : only.size ? { only: [...only] } : {}),
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
function checkSelectedReads(runbook: Runbook, selected: readonly string[], unavailable: ReadonlyMap<string, string>, asked: string): void {
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
      `${problems.length === 1 ? 'it' : 'they'} succeeded (${asked} leaves them out)`,
  );
}

function describeProblem(runbook: Runbook, step: StepSpec, read: StepRead, detail: string): string {
  const where = `${runbook.file}:${step.position.line}:${step.position.col}`;
  return `${where}: spec.steps[${step.index}] (${step.id}).${read.field} ${describeRead(read)}, but step '${read.stepId}' is not selected and ${detail}`;
}
