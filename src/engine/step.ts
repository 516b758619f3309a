// One step from `when` to step-end: skip, prepare, attempts, and the single outcome shape the scheduler consumes.

import { CancelledError, StepError, toStepError } from '../errors.js';
import { evaluateWhen } from '../expr/template.js';
import type { StepSpec } from '../runbook/types.js';
import { runAttempts } from './attempts.js';
import { buildExprContext, findReferencedSteps } from './expr.js';
import { prepareStep } from './prepare.js';
import type { RunState, StepOutcome } from './state.js';

/** Runs one step and never throws: every ending is a StepOutcome, already journaled as step-end. */
export async function runStep(run: RunState, step: StepSpec): Promise<StepOutcome> {
  const { clock } = run.options;
  const started = clock.now();
  let outcome: StepOutcome;
  let began = false;
  try {
    const context = buildExprContext({ inputs: run.inputs, run: run.runInfo }, run.states, findReferencedSteps(step));
    if (step.when !== undefined && !checkWhen(step, context)) {
      outcome = { status: 'skipped', outputs: {}, reason: `when: ${step.when} is false`, skip: 'when' };
    } else {
      run.emit({ type: 'step-start', stepId: step.id });
      began = true;
      const prepared = prepareStep(run, step, context);
      const outputs = await runAttempts(run, step, prepared);
      outcome = { status: 'succeeded', outputs };
    }
  } catch (error) {
    outcome = toFailedOutcome(error);
  }
  run.emit({
    type: 'step-end',
    stepId: step.id,
    status: outcome.status,
    outputs: outcome.outputs,
    ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
    ...(outcome.errorClass !== undefined ? { errorClass: outcome.errorClass } : {}),
    ...(outcome.skip !== undefined ? { skip: outcome.skip } : {}),
    ...(began ? { durationMs: clock.now() - started } : {}),
  });
  return outcome;
}

function checkWhen(step: StepSpec, context: Parameters<typeof evaluateWhen>[1]): boolean {
  try {
    return evaluateWhen(step.when!, context);
  } catch (error) {
    throw new StepError(`when: ${(error as Error).message}`, { errorClass: 'permanent', cause: error });
  }
}

function toFailedOutcome(error: unknown): StepOutcome {
  if (error instanceof CancelledError) {
    return { status: 'cancelled', outputs: {}, error: error.message, reason: error.message };
  }
  const failure = toStepError(error);
  return { status: 'failed', outputs: {}, error: failure.message, errorClass: failure.errorClass, reason: failure.message };
}
