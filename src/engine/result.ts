// The run's one result shape: overall status and why, plus each step's outcome (redacted like everything else).

import type { CancelledError } from '../errors.js';
import type { Runbook } from '../runbook/types.js';
import type { Masker } from '../secrets/index.js';
import { maskValues } from './redact.js';
import type { RunStatus, StepStatus } from './events.js';
import type { RunState, StepOutcome } from './state.js';

export interface StepResult {
  /** 'pending' only if the engine could not reach the step (it always tries to settle every step). */
  status: StepStatus | 'pending';
  outputs: Record<string, unknown>;
  error?: string;
  errorClass?: StepOutcome['errorClass'];
  reason?: string;
  /** Reused from the run being resumed. */
  reused?: boolean;
  /** The other run a reused outcome comes from (`run --from-run`). */
  reusedFrom?: string;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  /** Why the run failed or was interrupted (redacted). */
  error?: string;
  steps: Record<string, StepResult>;
  journalPath: string;
  durationMs: number;
}

/** Interrupted when the caller said so; failed on deadline, abort, or a step failing without continueOnError. */
export function summarizeRun(run: RunState, outcomes: Map<string, StepOutcome>): { status: RunStatus; error?: string } {
  if (run.signal.aborted) {
    const reason = run.signal.reason as CancelledError;
    return { status: reason.reason === 'interrupted' ? 'interrupted' : 'failed', error: reason.message };
  }
  for (const step of run.runbook.steps) {
    const outcome = outcomes.get(step.id);
    if (!outcome) continue;
    if (outcome.status === 'cancelled' || (outcome.status === 'failed' && !step.continueOnError)) {
      return { status: 'failed', error: `step ${step.id} failed: ${outcome.error ?? outcome.reason ?? outcome.status}` };
    }
  }
  return { status: 'succeeded' };
}

/** Every step's outcome (free text and outputs masked, like the journal); `pending` only if the engine never reached it. */
export function collectStepResults(runbook: Runbook, outcomes: Map<string, StepOutcome>, masker: Masker): Record<string, StepResult> {
  const steps: Record<string, StepResult> = {};
  for (const step of runbook.steps) {
    const outcome = outcomes.get(step.id);
    if (!outcome) {
      steps[step.id] = { status: 'pending', outputs: {} };
      continue;
    }
    const { skip: _skip, ...rest } = outcome;
    steps[step.id] = {
      ...rest,
      outputs: maskValues(rest.outputs, masker),
      ...(rest.error !== undefined ? { error: masker.text(rest.error) } : {}),
      ...(rest.reason !== undefined ? { reason: masker.text(rest.reason) } : {}),
    };
  }
  return steps;
}
