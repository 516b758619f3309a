// Transient API errors (5xx, throttling, resets) retried with backoff around one store request, so a blip of the API
// server neither fails a run's start nor a resume; the sleep honours a server's Retry-After.

import { StepError, classifyError } from '../../errors.js';
import { backoffDelay, type BackoffPolicy } from '../../time/backoff.js';
import type { Clock } from '../../time/clock.js';

export const MAX_TRANSIENT = 6;
export const TRANSIENT_BACKOFF: BackoffPolicy = { initialMs: 200, factor: 2, maxMs: 5000 };

/** How long to wait before transient retry number `failures` (1-based). */
export function transientDelay(error: unknown, failures: number): number {
  const retryAfter = error instanceof StepError ? error.retryAfterMs : undefined;
  return retryAfter ?? backoffDelay(failures, TRANSIENT_BACKOFF);
}

/** Runs `request` again after a transient failure, up to MAX_TRANSIENT times; other errors pass through at once. */
export async function retryTransient<T>(clock: Clock, request: () => Promise<T>): Promise<T> {
  for (let failures = 0; ; ) {
    try {
      return await request();
    } catch (error) {
      if (classifyError(error) !== 'transient' || ++failures > MAX_TRANSIENT) throw error;
      await clock.sleep(transientDelay(error, failures));
    }
  }
}
