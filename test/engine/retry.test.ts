import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { computeBackoff, isRetryable, maxBackoff } from '../../src/engine/retry.js';
import { at, eventsOf, makeRunbook, makeStateDir, makeStep, runWithVirtualClock } from './fixtures.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

const backoff = { initialMs: 5000, factor: 2, maxMs: 60_000, jitter: false };

describe('backoff', () => {
  it('grows by the factor and stops at max', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => computeBackoff(n, backoff, Math.random))).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(maxBackoff(3, backoff)).toBe(20_000);
  });

  it('with jitter draws from [d/2, d] using the injected random source', () => {
    const jittered = { ...backoff, jitter: true };
    expect(computeBackoff(2, jittered, () => 0)).toBe(5000);
    expect(computeBackoff(2, jittered, () => 0.5)).toBe(7500);
    expect(computeBackoff(2, jittered, () => 0.999999)).toBe(10_000);
  });

  it('retries only the classes named in on; permanent errors never, except a process exit under any', () => {
    const policy = (on: ('transient' | 'timeout' | 'any')[]) => ({ attempts: 3, backoff, on });
    const transient = new StepError('x', { errorClass: 'transient' });
    const timeout = new StepError('x', { errorClass: 'timeout' });
    const permanent = new StepError('x', { errorClass: 'permanent' });
    const exit = new StepError('x', { errorClass: 'permanent', details: { exitCode: 1 } });
    expect(isRetryable(transient, policy(['transient']))).toBe(true);
    expect(isRetryable(timeout, policy(['transient']))).toBe(false);
    expect(isRetryable(timeout, policy(['timeout']))).toBe(true);
    expect(isRetryable(permanent, policy(['transient', 'timeout']))).toBe(false);
    expect(isRetryable(permanent, policy(['any']))).toBe(false);
    expect(isRetryable(exit, policy(['transient']))).toBe(false);
    expect(isRetryable(exit, policy(['any']))).toBe(true);
  });
});

describe('retry', () => {
  it('retries transient failures after exactly the computed delays', async () => {
    const step = makeStep('s', { type: 'flaky', with: { failures: 2 }, retry: { attempts: 3, backoff } });
    const { result, events, calls } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    expect(result.status).toBe('succeeded');
    expect(result.steps.s!.outputs).toEqual({ attempt: 3 });
    expect(calls).toEqual(['s#1', 's#2', 's#3']);
    expect(eventsOf(events, 'attempt-start').map(at)).toEqual([0, 5000, 15_000]);
    const ends = eventsOf(events, 'attempt-end');
    expect(ends.map((e) => e.retryInMs)).toEqual([5000, 10_000, undefined]);
    expect(ends.map((e) => e.errorClass)).toEqual(['transient', 'transient', undefined]);
    expect(eventsOf(events, 'attempt-start').map((e) => e.maxAttempts)).toEqual([3, 3, 3]);
  });

  it('uses the injected jitter source', async () => {
    const step = makeStep('s', { type: 'flaky', with: { failures: 1 }, retry: { attempts: 2, backoff: { ...backoff, jitter: true } } });
    const { events } = await runWithVirtualClock(makeRunbook([step]), state.dir, { random: () => 0.25 });
    expect(eventsOf(events, 'attempt-start').map(at)).toEqual([0, 3125]);
  });

  it('gives up after the last attempt with the last error', async () => {
    const step = makeStep('s', { type: 'flaky', with: { failures: 5 }, retry: { attempts: 2, backoff } });
    const { result, calls } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    expect(result.steps.s).toMatchObject({ status: 'failed', error: 'failure 2', errorClass: 'transient' });
    expect(calls).toEqual(['s#1', 's#2']);
  });

  it('never retries a permanent error', async () => {
    const step = makeStep('s', { type: 'flaky', with: { failures: 1, errorClass: 'permanent' }, retry: { attempts: 5, on: ['any'] } });
    const { result, calls } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    expect(result.steps.s!.status).toBe('failed');
    expect(calls).toEqual(['s#1']);
  });

  it('retries a non-zero exit when on names any', async () => {
    const step = makeStep('s', {
      type: 'flaky',
      with: { failures: 1, errorClass: 'permanent', exitCode: 2 },
      retry: { attempts: 2, on: ['any'] },
    });
    const { result, calls } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    expect(result.steps.s!.status).toBe('succeeded');
    expect(calls).toEqual(['s#1', 's#2']);
  });

  it('honours the server-requested Retry-After over the backoff', async () => {
    const step = makeStep('s', { type: 'flaky', with: { failures: 1, retryAfterMs: 42_000 }, retry: { attempts: 2, backoff } });
    const { events } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    expect(eventsOf(events, 'attempt-start').map(at)).toEqual([0, 42_000]);
  });
});

describe('timeouts and budgets', () => {
  it('times out an attempt as class timeout, which on: [timeout] retries', async () => {
    const step = makeStep('s', { type: 'hang', timeoutMs: 30_000, retry: { attempts: 2, on: ['timeout'], backoff } });
    const { result, events } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    const ends = eventsOf(events, 'attempt-end');
    expect(ends.map(at)).toEqual([30_000, 65_000]);
    expect(ends.map((e) => e.errorClass)).toEqual(['timeout', 'timeout']);
    expect(result.steps.s).toMatchObject({ status: 'failed', errorClass: 'timeout', error: 'attempt 2 timed out after 30s' });
  });

  it('does not retry a timeout when on names only transient', async () => {
    const step = makeStep('s', { type: 'hang', timeoutMs: 1000, retry: { attempts: 3, on: ['transient'] } });
    const { calls } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    expect(calls).toEqual(['s#1']);
  });

  it('bounds all attempts and backoffs by retry.maxDuration', async () => {
    const step = makeStep('s', {
      type: 'hang',
      timeoutMs: 10_000,
      retry: { attempts: 10, on: ['timeout'], maxDurationMs: 25_000, backoff: { initialMs: 1000, factor: 2, maxMs: 30_000 } },
    });
    const { result, events } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    // attempts at 0 (→10s), 11s (→21s), 23s with only 2s left of the 25s budget.
    expect(eventsOf(events, 'attempt-start').map((e) => [at(e), e.timeoutMs])).toEqual([
      [0, 10_000],
      [11_000, 10_000],
      [23_000, 2000],
    ]);
    expect(at(eventsOf(events, 'step-end')[0]!)).toBe(25_000);
    expect(result.steps.s!.error).toMatch(/^retry\.maxDuration 25s used up during attempt 3/);
  });

  it('does not back off past retry.maxDuration', async () => {
    const step = makeStep('s', {
      type: 'flaky',
      with: { failures: 5 },
      retry: { attempts: 5, maxDurationMs: 8000, backoff: { initialMs: 5000, factor: 2, maxMs: 60_000 } },
    });
    const { result, calls } = await runWithVirtualClock(makeRunbook([step]), state.dir);
    expect(calls).toEqual(['s#1', 's#2']);
    expect(result.steps.s!.error).toBe('failure 2 (no retry: attempt 3 would start after retry.maxDuration 8s)');
  });
});

describe('run deadline', () => {
  it('cancels running steps when the deadline passes and fails the run naming it', async () => {
    const runbook = makeRunbook(
      [makeStep('long', { type: 'hang', timeoutMs: 3_600_000 }), makeStep('next', { needs: ['long'] })],
      { deadline: '${{ inputs.window }}', inputs: { window: { name: 'window', type: 'duration', required: false, default: '90s' } } },
    );
    const { result, events } = await runWithVirtualClock(runbook, state.dir, { inputs: { window: '90s' } });
    expect(result.status).toBe('failed');
    expect(result.error).toBe('run deadline passed: spec.deadline ${{ inputs.window }} (= 1m30s) ran out at 2026-01-01T00:01:30.000Z');
    expect(result.steps.long).toMatchObject({ status: 'cancelled' });
    expect(result.steps.next).toMatchObject({ status: 'skipped' });
    expect(at(eventsOf(events, 'run-end')[0]!)).toBe(90_000);
    expect(eventsOf(events, 'run-start')[0]!.deadline).toBe('2026-01-01T00:01:30.000Z');
  });

  it('shows every step the time left and never backs off past the deadline', async () => {
    const runbook = makeRunbook(
      [
        makeStep('first', { type: 'wait', with: { ms: 10_000 } }),
        makeStep('second', { needs: ['first'], type: 'wait', with: { ms: 1 } }),
        makeStep('retrying', {
          needs: ['second'],
          type: 'flaky',
          with: { failures: 3 },
          retry: { attempts: 4, backoff: { initialMs: 30_000, factor: 2, maxMs: 60_000 } },
        }),
      ],
      { deadline: '1m' },
    );
    const { result } = await runWithVirtualClock(runbook, state.dir);
    expect(result.steps.first!.outputs.deadline).toBe(Date.parse('2026-01-01T00:01:00Z'));
    expect(result.steps.retrying!.status).toBe('failed');
    expect(result.steps.retrying!.error).toBe('failure 2 (no retry: attempt 3 would start after the run deadline)');
  });

  it('refuses a deadline that is not a duration before running anything', async () => {
    const runbook = makeRunbook([makeStep('a')], { deadline: '${{ inputs.window }}', inputs: {} });
    await expect(runWithVirtualClock(runbook, state.dir, { inputs: {} })).rejects.toThrow(/spec\.deadline/);
  });
});
