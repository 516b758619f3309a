import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { at, eventsOf, makeRunbook, makeStateDir, makeStep, runWithVirtualClock } from './fixtures.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

describe('DAG scheduling', () => {
  it('starts a step only after all its needs are done', async () => {
    const runbook = makeRunbook([
      makeStep('c', { needs: ['a', 'b'] }),
      makeStep('a', { type: 'wait', with: { ms: 5000 } }),
      makeStep('b', { type: 'wait', with: { ms: 1000 } }),
      makeStep('d', { needs: ['c'] }),
    ]);
    const { result, events } = await runWithVirtualClock(runbook, state.dir);
    expect(result.status).toBe('succeeded');
    const starts = eventsOf(events, 'step-start');
    expect(starts.map((e) => e.stepId)).toEqual(['a', 'b', 'c', 'd']);
    expect(at(starts.find((e) => e.stepId === 'c')!)).toBe(5000);
    const ends = eventsOf(events, 'step-end').map((e) => e.stepId);
    expect(ends.indexOf('a')).toBeLessThan(ends.indexOf('c'));
    expect(ends.indexOf('b')).toBeLessThan(ends.indexOf('c'));
    expect(ends.indexOf('c')).toBeLessThan(ends.indexOf('d'));
  });

  it('runs independent steps in parallel but never more than the concurrency limit', async () => {
    const steps = ['s1', 's2', 's3', 's4', 's5'].map((id) => makeStep(id, { type: 'wait', with: { ms: 10_000 } }));
    const { result, events } = await runWithVirtualClock(makeRunbook(steps, { concurrency: 2 }), state.dir);
    expect(result.status).toBe('succeeded');
    const startTimes = eventsOf(events, 'step-start').map(at);
    expect(startTimes).toEqual([0, 0, 10_000, 10_000, 20_000]);
    let active = 0;
    let peak = 0;
    for (const event of events) {
      if (event.type === 'step-start') peak = Math.max(peak, ++active);
      if (event.type === 'step-end') active--;
    }
    expect(peak).toBe(2);
  });

  it('lets the caller override the concurrency', async () => {
    const steps = ['s1', 's2', 's3'].map((id) => makeStep(id, { type: 'wait', with: { ms: 1000 } }));
    const { events } = await runWithVirtualClock(makeRunbook(steps, { concurrency: 1 }), state.dir, { concurrency: 3 });
    expect(eventsOf(events, 'step-start').map(at)).toEqual([0, 0, 0]);
  });

  it('refuses a concurrency below 1 or a run id that is not path-safe, before anything runs', async () => {
    const runbook = makeRunbook([makeStep('a')]);
    await expect(runWithVirtualClock(runbook, state.dir, { concurrency: 0 })).rejects.toThrow('concurrency must be a whole number ≥ 1 (got 0)');
    await expect(runWithVirtualClock(runbook, state.dir, { runId: '../escape' })).rejects.toThrow(/may only hold letters, digits/);
  });

  it('treats a step skipped by its own when as done for its dependents', async () => {
    const runbook = makeRunbook(
      [makeStep('a', { when: 'inputs.enabled' }), makeStep('b', { needs: ['a'] })],
      { inputs: { enabled: { name: 'enabled', type: 'boolean', required: false, default: false } } },
    );
    const { result, calls, events } = await runWithVirtualClock(runbook, state.dir, { inputs: { enabled: false } });
    expect(result.status).toBe('succeeded');
    expect(result.steps.a!.status).toBe('skipped');
    expect(result.steps.a!.reason).toBe('when: inputs.enabled is false');
    expect(calls).toEqual(['b']);
    expect(eventsOf(events, 'step-end').find((e) => e.stepId === 'a')!.skip).toBe('when');
  });

  it('skips dependents of a failed step, runs always steps, and starts nothing new after a failure', async () => {
    const runbook = makeRunbook(
      [
        makeStep('a', { type: 'fail', with: { message: 'broken' } }),
        makeStep('b', { needs: ['a'] }),
        makeStep('c', { needs: ['b'] }),
        makeStep('cleanup', { needs: ['c'], always: true }),
        makeStep('later', { type: 'wait', with: { ms: 1 } }),
      ],
      { concurrency: 1 },
    );
    const { result, calls } = await runWithVirtualClock(runbook, state.dir);
    expect(result.status).toBe('failed');
    expect(result.error).toBe('step a failed: broken');
    expect(result.steps.a).toMatchObject({ status: 'failed', errorClass: 'permanent', error: 'broken' });
    expect(result.steps.b).toMatchObject({ status: 'skipped', reason: 'needs a, which failed' });
    expect(result.steps.c).toMatchObject({ status: 'skipped', reason: 'needs b, which was skipped' });
    expect(result.steps.cleanup!.status).toBe('succeeded');
    expect(result.steps.later).toMatchObject({ status: 'skipped', reason: 'not started: step a failed' });
    expect(calls).toEqual(['cleanup']);
  });

  it('lets running steps finish when another step fails', async () => {
    const runbook = makeRunbook([
      makeStep('slow', { type: 'wait', with: { ms: 60_000 } }),
      makeStep('bad', { type: 'fail', with: { message: 'no' } }),
    ]);
    const { result } = await runWithVirtualClock(runbook, state.dir);
    expect(result.status).toBe('failed');
    expect(result.steps.slow!.status).toBe('succeeded');
  });

  it('records a continueOnError failure and lets dependents and the run succeed', async () => {
    const runbook = makeRunbook([
      makeStep('a', { type: 'fail', with: { message: 'tolerated' }, continueOnError: true }),
      makeStep('b', { needs: ['a'], type: 'echo', with: { seen: '${{ steps.a.status }}' } }),
    ]);
    const { result } = await runWithVirtualClock(runbook, state.dir);
    expect(result.status).toBe('succeeded');
    expect(result.steps.a).toMatchObject({ status: 'failed', error: 'tolerated' });
    expect(result.steps.b!.outputs).toEqual({ seen: 'failed' });
  });

  it('passes outputs of earlier steps through templates, keeping their type', async () => {
    const runbook = makeRunbook(
      [
        makeStep('a', { type: 'echo', with: { nodes: '${{ inputs.nodes }}', count: 2 } }),
        makeStep('b', {
          needs: ['a'],
          type: 'echo',
          with: { first: '${{ steps.a.outputs.nodes[0] }}', text: 'n=${{ steps.a.outputs.count + 1 }}', all: '${{ steps.a.outputs.nodes }}' },
          when: "steps.a.status == 'succeeded' && size(steps.a.outputs.nodes) == 2",
        }),
      ],
      { inputs: { nodes: { name: 'nodes', type: 'array', required: true } } },
    );
    const { result } = await runWithVirtualClock(runbook, state.dir, { inputs: { nodes: ['w1', 'w2'] } });
    expect(result.steps.b!.outputs).toEqual({ first: 'w1', text: 'n=3', all: ['w1', 'w2'] });
  });

  it('fails a step whose resolved parameters break its schema, without any attempt', async () => {
    const runbook = makeRunbook([makeStep('s', { type: 'sleep', with: { duration: '${{ inputs.d }}' } })], {
      inputs: { d: { name: 'd', type: 'string', required: true } },
    });
    const { result, events } = await runWithVirtualClock(runbook, state.dir, { inputs: { d: 'soon' } });
    expect(result.steps.s!.status).toBe('failed');
    expect(result.steps.s!.errorClass).toBe('permanent');
    expect(result.steps.s!.error).toMatch(/^invalid parameters for sleep: with\.duration/);
    expect(eventsOf(events, 'attempt-start')).toHaveLength(0);
  });

  it('fails a step whose when cannot be evaluated', async () => {
    const runbook = makeRunbook([makeStep('a', { when: 'inputs.missing == 1' })]);
    const { result } = await runWithVirtualClock(runbook, state.dir);
    expect(result.steps.a!.status).toBe('failed');
    expect(result.steps.a!.error).toMatch(/^when: /);
  });

  it('schedules a 2,000-step chain and fan-out without trouble', async () => {
    const steps = [makeStep('root')];
    for (let i = 0; i < 1000; i++) steps.push(makeStep(`fan-${i}`, { needs: ['root'] }));
    for (let i = 0; i < 999; i++) steps.push(makeStep(`chain-${i}`, { needs: [i === 0 ? 'fan-999' : `chain-${i - 1}`] }));
    const { result, calls } = await runWithVirtualClock(makeRunbook(steps, { concurrency: 8 }), state.dir);
    expect(result.status).toBe('succeeded');
    expect(calls).toHaveLength(2000);
    expect(calls.at(-1)).toBe('chain-998');
  });
});
