// Retries one CSR's Approved/Denied write inside the attempt, so an API blip on one CSR costs a short wait for that
// CSR only, not the whole attempt (with every other CSR's progress) and one of the step's few retries.

import { StepError, toStepError } from '../../errors.js';
import type { CsrCondition, KubeClient, KubeObject } from '../../k8s/types.js';
import { delayBeforeRetry, type BackoffPolicy } from '../../time/backoff.js';
import type { Clock } from '../../time/clock.js';
import { writeCsrCondition, type WriteOutcome } from './conditions.js';

/** How often and how patiently one CSR's write is retried within an attempt: data, shown in messages. */
export interface CsrWriteRetry extends BackoffPolicy {
  /** Writes tried per CSR, the first included; each retry costs one re-read and one write. */
  tries: number;
}

/** @default 8 tries, 250ms doubling up to 10s: under 30 s of backoff per CSR (Retry-After aside), well inside a step budget. */
export const CSR_WRITE_RETRY: CsrWriteRetry = { tries: 8, initialMs: 250, factor: 2, maxMs: 10_000 };

export interface WriteRetryOptions {
  clock: Clock;
  signal: AbortSignal;
  /** Clock ms after which no retry starts (the attempt's own time). */
  giveUpAt: number;
  policy?: CsrWriteRetry;
  /** Told before each retry wait (for the step log). */
  onRetry?: (info: { csr: string; retry: number; delayMs: number; error: StepError }) => void;
}

const CSR_REF = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest' } as const;

/**
 * writeCsrCondition, retried on transient failures (5xx, 429, resets, lost answers). Before each re-send the CSR is
 * read again: a write whose answer was lost may have been committed, and re-reading finds it already approved
 * instead of approving twice; a CSR deleted or replaced under the same name (other uid) is never written.
 */
export async function writeCsrConditionWithRetry(
  kube: KubeClient,
  csr: KubeObject,
  condition: CsrCondition,
  options: WriteRetryOptions,
): Promise<{ outcome: WriteOutcome; object?: KubeObject }> {
  const policy = options.policy ?? CSR_WRITE_RETRY;
  const name = csr.metadata.name ?? '?';
  let current = csr;
  for (let tried = 1; ; tried++) {
    try {
      if (tried > 1) {
        const fresh = await kube.get({ ...CSR_REF, name }, options.signal);
        if (!fresh || fresh.metadata.uid !== csr.metadata.uid) return { outcome: 'gone' };
        current = fresh;
      }
      return await writeCsrCondition(kube, current, condition, options.signal);
    } catch (thrown) {
      if (options.signal.aborted) throw thrown;
      const error = toStepError(thrown);
      if (error.errorClass !== 'transient') throw error;
      const last = `last error: ${error.message}`;
      if (tried >= policy.tries) {
        throw new StepError(`CSR ${name}: ${condition.type} write failed ${tried} times (per-CSR retries used up); ${last}`, {
          errorClass: 'transient', retryAfterMs: error.retryAfterMs, cause: error,
        });
      }
      const delayMs = delayBeforeRetry(tried, policy, error.retryAfterMs);
      if (options.clock.now() + delayMs > options.giveUpAt) {
        throw new StepError(`CSR ${name}: ${condition.type} write failed ${tried} times and the attempt's time ran out before the next try; ${last}`, {
          errorClass: 'timeout', cause: error,
        });
      }
      options.onRetry?.({ csr: name, retry: tried, delayMs, error });
      await options.clock.sleep(delayMs, options.signal);
    }
  }
}
