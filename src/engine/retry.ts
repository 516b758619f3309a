// Retry decisions as data: which failures a policy retries and how long to back off before the next attempt.

import type { StepError } from '../errors.js';
import type { BackoffPolicy, RetryPolicy } from '../runbook/types.js';

/**
 * Delay before retry number `retry` (1 = the first retry): initial·factor^(retry-1), capped at max.
 * With jitter the delay is drawn uniformly from [d/2, d] so parallel steps spread out but never retry at once.
 */
export function computeBackoff(retry: number, backoff: BackoffPolicy, random: () => number): number {
  const raw = backoff.initialMs * Math.pow(backoff.factor, Math.max(0, retry - 1));
  const capped = Math.min(backoff.maxMs, raw);
  if (!backoff.jitter) return Math.round(capped);
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** The largest delay computeBackoff can return for `retry` (jitter only shortens it). */
export function maxBackoff(retry: number, backoff: BackoffPolicy): number {
  return Math.round(Math.min(backoff.maxMs, backoff.initialMs * Math.pow(backoff.factor, Math.max(0, retry - 1))));
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
  if (error.retryAfterMs !== undefined && error.retryAfterMs >= 0) return error.retryAfterMs;
  return computeBackoff(retry, policy.backoff, random);
}
