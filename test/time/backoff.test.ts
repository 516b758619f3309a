import { describe, expect, it } from 'vitest';
import { backoffDelay, createBackoff, maxBackoffDelay } from '../../src/time/backoff.js';

describe('backoff', () => {
  const policy = { initialMs: 250, factor: 2, maxMs: 2000 };

  it('grows by the factor from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy))).toEqual([250, 500, 1000, 2000, 2000]);
    expect(maxBackoffDelay(3, policy)).toBe(1000);
  });

  it('jitter draws from [d/2, d], never above the unjittered delay', () => {
    const jittered = { ...policy, jitter: true };
    expect(backoffDelay(3, jittered, () => 0)).toBe(500);
    expect(backoffDelay(3, jittered, () => 0.999999)).toBe(1000);
  });

  it('a stateful backoff counts its failures, lets a longer Retry-After win, and resets after a success', () => {
    const backoff = createBackoff(policy);
    expect([backoff.next(), backoff.next(), backoff.next(5000), backoff.next(10)]).toEqual([250, 500, 5000, 2000]);
    backoff.reset();
    expect(backoff.next()).toBe(250);
  });
});
