// One attempt of a step: its own timeout (on the run's clock), the run's signal, and a bounded wait for cleanup.

import { StepError } from '../errors.js';
import { raceAbort } from '../time/abort.js';
import type { AnyStepType } from '../steps/types.js';
import { createStepContext } from './context.js';
import type { RunState } from './state.js';

export interface AttemptPlan {
  stepId: string;
  attempt: number;
  stepType: AnyStepType;
  params: unknown;
  env: Record<string, string | undefined>;
  /** Time this attempt may take. */
  budgetMs: number;
  /** Message when the budget runs out (names the timeout or retry.maxDuration). */
  timeoutMessage: string;
}

/**
 * Runs the attempt; resolves with its outputs or rejects with the step's error, the attempt's timeout (a `timeout`
 * StepError) or the run's cancellation (a CancelledError). A step that ignores its signal is not waited for forever.
 */
export async function runAttempt(run: RunState, plan: AttemptPlan): Promise<Record<string, unknown>> {
  const { clock } = run.options;
  // One controller for the attempt, aborted by the run or by the timeout, whichever comes first (what
  // AbortSignal.any does, without leaving a dependent signal on the run's for every attempt of every step).
  const attempt = new AbortController();
  const onRunAbort = (): void => attempt.abort(run.signal.reason);
  if (run.signal.aborted) onRunAbort();
  else run.signal.addEventListener('abort', onRunAbort, { once: true });
  const cancelTimeout = clock.timer(plan.budgetMs, () => attempt.abort(new StepError(plan.timeoutMessage, { errorClass: 'timeout' })));
  const { signal } = attempt;
  const deadline = Math.min(clock.now() + plan.budgetMs, run.deadline?.at ?? Infinity);
  const ctx = createStepContext(run, { stepId: plan.stepId, attempt: plan.attempt, signal, deadline, env: plan.env });
  const work = Promise.resolve().then(() => plan.stepType.run(plan.params, ctx));
  try {
    const outputs = await raceAbort(work, signal);
    return toOutputs(outputs);
  } catch (error) {
    if (!signal.aborted) throw error;
    // Let the step finish its own cleanup (e.g. killing its processes) before the attempt is declared over.
    await settleWithin(work, run.options.killGraceMs + 2000);
    throw signal.reason;
  } finally {
    cancelTimeout();
    run.signal.removeEventListener('abort', onRunAbort);
  }
}

// Real time on purpose: processes die in real time whatever clock the run uses.
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/**
 * Outputs as the journal will hold them (a JSON round trip), so a resumed run sees exactly what a fresh one saw;
 * BigInts become numbers (strings beyond 2^53), and a value JSON cannot hold fails the step, not the journal.
 */
function toOutputs(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  if (Object.keys(value).length === 0) return {};
  try {
    return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? bigintToJson(item) : item)));
  } catch (error) {
    throw new StepError(`outputs cannot be recorded as JSON: ${(error as Error).message}`, { errorClass: 'permanent', cause: error });
  }
}

function bigintToJson(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}
