// The retry loop: attempts within the step's budget (timeout, retry.maxDuration, run deadline), backing off on the clock.

import { CancelledError, StepError, toStepError } from '../errors.js';
import { formatDurationExact } from '../time/duration.js';
import type { StepSpec } from '../runbook/types.js';
import type { AnyStepType } from '../steps/types.js';
import { runAttempt } from './attempt.js';
import { computeRetryDelay, isRetryable } from './retry.js';
import type { RunState } from './state.js';

export interface PreparedStep {
  stepType: AnyStepType;
  params: unknown;
  env: Record<string, string | undefined>;
}

/** Runs attempts until one succeeds, the policy stops retrying, or time runs out; throws the last StepError. */
export async function runAttempts(run: RunState, step: StepSpec, prepared: PreparedStep): Promise<Record<string, unknown>> {
  const { clock } = run.options;
  const policy = step.retry;
  const maxEnd = policy.maxDurationMs === undefined ? Infinity : clock.now() + policy.maxDurationMs;
  for (let attempt = 1; ; attempt++) {
    const left = maxEnd - clock.now();
    const byMaxDuration = left < step.timeoutMs;
    const budgetMs = Math.max(0, Math.min(step.timeoutMs, left));
    const timeoutMessage = byMaxDuration
      ? `retry.maxDuration ${formatDurationExact(policy.maxDurationMs!)} used up during attempt ${attempt}`
      : `attempt ${attempt} timed out after ${formatDurationExact(step.timeoutMs)}`;
    run.emit({ type: 'attempt-start', stepId: step.id, attempt, maxAttempts: policy.attempts, timeoutMs: budgetMs });
    try {
      const outputs = await runAttempt(run, { stepId: step.id, attempt, ...prepared, budgetMs, timeoutMessage });
      run.emit({ type: 'attempt-end', stepId: step.id, attempt, ok: true });
      return outputs;
    } catch (error) {
      if (error instanceof CancelledError) {
        run.emit({ type: 'attempt-end', stepId: step.id, attempt, ok: false, error: error.message });
        throw error;
      }
      const failure = toStepError(error);
      const next = decideNext(run, step, failure, attempt, maxEnd);
      run.emit({
        type: 'attempt-end',
        stepId: step.id,
        attempt,
        ok: false,
        errorClass: failure.errorClass,
        error: failure.message,
        ...(next.delayMs !== undefined ? { retryInMs: next.delayMs } : {}),
      });
      if (next.delayMs === undefined) throw next.error;
      await clock.sleep(next.delayMs, run.signal);
    }
  }
}

/** Retry or not: the policy must cover the failure, and the next attempt must start before maxDuration and the deadline. */
function decideNext(
  run: RunState,
  step: StepSpec,
  failure: StepError,
  attempt: number,
  maxEnd: number,
): { error: StepError; delayMs?: number } {
  const { clock, random } = run.options;
  const policy = step.retry;
  if (attempt >= policy.attempts || !isRetryable(failure, policy)) return { error: failure };
  const delayMs = computeRetryDelay(failure, attempt, policy, random);
  const startAt = clock.now() + delayMs;
  if (startAt >= maxEnd) {
    const limit = formatDurationExact(policy.maxDurationMs!);
    return { error: withNote(failure, `no retry: attempt ${attempt + 1} would start after retry.maxDuration ${limit}`) };
  }
  if (run.deadline && startAt >= run.deadline.at) {
    return { error: withNote(failure, `no retry: attempt ${attempt + 1} would start after the run deadline`) };
  }
  return { error: failure, delayMs };
}

function withNote(error: StepError, note: string): StepError {
  return new StepError(`${error.message} (${note})`, {
    errorClass: error.errorClass,
    cause: error,
    details: error.details,
    retryAfterMs: error.retryAfterMs,
  });
}
