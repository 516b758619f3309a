// Retry decisions as data: which failures a policy retries and how long to back off before the next attempt.

import type { StepError } from '../errors.js';
import type { BackoffPolicy, RetryPolicy } from '../runbook/types.js';
import { backoffDelay, delayBeforeRetry, maxBackoffDelay } from '../time/backoff.js';

/** Delay before retry number `retry` (1 = the first retry) under a step's retry.backoff. */
export function computeBackoff(retry: number, backoff: BackoffPolicy, random: () => number): number {
  return backoffDelay(retry, backoff, random);
}

/** The largest delay computeBackoff can return for `retry` (jitter only shortens it). */
export function maxBackoff(retry: number, backoff: BackoffPolicy): number {
  return maxBackoffDelay(retry, backoff);
}

/** A process that ran and exited non-zero: permanent by default, but `on: [any]` may retry it. */
function isExitFailure(error: StepError): boolean {
  const details = error.details as { exitCode?: unknown } | undefined;
  return typeof details?.exitCode === 'number';
}

/** true when `policy.on` covers this failure. Permanent errors (bad parameters, safety refusals) never are. */
export function isRetryable(error: StepError, policy: RetryPolicy): boolean {
  if (policy.on.includes('any')) return error.errorClass !== 'permanent' || isExitFailure(error);
  if (error.errorClass === 'permanent') return false;
  return policy.on.includes(error.errorClass);
}

/** The wait before the next attempt: the server's Retry-After when it gave one, else the backoff. */
export function computeRetryDelay(error: StepError, retry: number, policy: RetryPolicy, random: () => number): number {
  return delayBeforeRetry(retry, policy.backoff, error.retryAfterMs, random);
}
