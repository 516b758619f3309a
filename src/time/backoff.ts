// Exponential backoff, the one formula every retry loop uses (step retries, informer relists, lease writes).

export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Draw each delay uniformly from [d/2, d], so parallel retries spread out but never bunch up at once. */
  jitter?: boolean;
}

/** The largest delay before retry number `retry` (1 = the first retry): initial·factor^(retry-1), capped at max. */
export function maxBackoffDelay(retry: number, policy: BackoffPolicy): number {
  return Math.round(Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, Math.max(0, retry - 1))));
}

/** The delay before retry number `retry`; jitter only ever shortens it, never below half. */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const capped = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, Math.max(0, retry - 1)));
  if (!policy.jitter) return Math.round(capped);
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** The wait before retry `retry`: a server's Retry-After (ms) when it gave one, else the backoff. */
export function delayBeforeRetry(retry: number, policy: BackoffPolicy, retryAfterMs?: number, random: () => number = Math.random): number {
  return retryAfterMs !== undefined && retryAfterMs >= 0 ? retryAfterMs : backoffDelay(retry, policy, random);
}

export interface Backoff {
  /** The next delay; a server's Retry-After wins when it asks for longer. */
  next(retryAfterMs?: number): number;
  /** Back to the initial delay after a success. */
  reset(): void;
}

/** A backoff that counts its own failures, for loops that retry until they succeed. */
export function createBackoff(policy: BackoffPolicy, random: () => number = Math.random): Backoff {
  let retry = 0;
  return {
    next: (retryAfterMs = 0) => Math.max(backoffDelay(++retry, policy, random), retryAfterMs),
    reset: () => {
      retry = 0;
    },
  };
}
