// How long a step can take at worst: every attempt times out and every backoff is as long as it can be.

import type { StepSpec } from '../../runbook/types.js';
import { maxBackoff } from '../retry.js';

/** attempts × timeout + the longest backoffs between them, capped by retry.maxDuration. */
export function computeWorstCase(step: StepSpec): number {
  const { attempts, backoff, maxDurationMs } = step.retry;
  let total = attempts * step.timeoutMs;
  for (let retry = 1; retry < attempts; retry++) total += maxBackoff(retry, backoff);
  return maxDurationMs === undefined ? total : Math.min(total, maxDurationMs);
}
