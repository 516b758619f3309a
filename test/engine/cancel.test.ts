import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, StepError } from '../../src/errors.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { executeRunbook } from '../../src/engine/index.js';
import { readJournal } from '../../src/engine/journal/read.js';
import { isProcessAlive } from '../../src/proc/kill.js';
import { systemClock } from '../../src/time/clock.js';
import { eventsOf, makeRegistry, makeRunbook, makeStateDir, makeStep, makeTestSteps, runWithVirtualClock } from './fixtures.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

/** A bash step that reports its own pid and its background child's pid, then waits. */
const SPAWNER = 'sleep 300 & echo "child=$!"; echo "shell=$$"; wait';

function pidsFrom(events: EngineEvent[]): number[] {
  return eventsOf(events, 'step-log')
    .map((e) => /^(?:child|shell)=(\d+)$/.exec(e.line)?.[1])
    .filter((pid): pid is string => pid !== undefined)
    .map(Number);
}

/** Asserts both processes are gone, killing any survivor so a failure leaves nothing running. */
function expectAllGone(pids: number[]): void {
  const alive = pids.filter(isProcessAlive);
  for (const pid of alive) process.kill(pid, 'SIGKILL');
  expect(pids).toHaveLength(2);
  expect(alive).toEqual([]);
}

describe('cancellation', () => {
  it('an interrupt cancels running steps, journals "interrupted" and ends the run interrupted', async () => {
    const controller = new AbortController();
    const runbook = makeRunbook([makeStep('long', { type: 'hang' }), makeStep('after', { needs: ['long'] })]);
    const run = runWithVirtualClock(runbook, state.dir, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'attempt-start') setImmediate(() => controller.abort(new CancelledError('interrupted by user', 'interrupted')));
      },
    });
    const { result } = await run;
    expect(result.status).toBe('interrupted');
    expect(result.error).toBe('interrupted by user');
    expect(result.steps.long).toMatchObject({ status: 'cancelled', reason: 'interrupted by user' });
    expect(result.steps.after).toMatchObject({ status: 'skipped', reason: 'not started: interrupted by user' });
    const journal = await readJournal(result.journalPath);
    expect(journal.at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted' });
  });

  it('a bare abort() counts as an interrupt; an abort with another error (lost lock) fails the run with its message', async () => {
    for (const [reason, status, error] of [
      [undefined, 'interrupted', 'interrupted'],
      [new StepError('lost lock kube-system/test: taken over by run r2'), 'failed', 'lost lock kube-system/test: taken over by run r2'],
    ] as const) {
      const controller = new AbortController();
      const { result } = await runWithVirtualClock(makeRunbook([makeStep('long', { type: 'hang' })]), state.dir, {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'attempt-start') setImmediate(() => controller.abort(reason));
        },
      });
      expect(result).toMatchObject({ status, error });
      expect(result.steps.long!.status).toBe('cancelled');
    }
  });

  it('an interrupt kills the shell step and its child processes', async () => {
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const result = await executeRunbook({
      runbook: makeRunbook([makeStep('spawn', { type: 'shell', with: { run: SPAWNER } })]),
      inputs: {},
      registry: makeRegistry(),
      stateDir: state.dir,
      clock: systemClock,
      signal: controller.signal,
      killGraceMs: 2000,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'step-log' && pidsFrom(events).length === 2) controller.abort(new CancelledError('interrupted by user (Ctrl-C)', 'interrupted'));
      },
    });
    expect(result.status).toBe('interrupted');
    expectAllGone(pidsFrom(events));
  });

  it('an attempt timeout kills a shell that ignores SIGTERM, with SIGKILL after the grace period', async () => {
    const events: EngineEvent[] = [];
    const result = await executeRunbook({
      runbook: makeRunbook([makeStep('stubborn', { type: 'shell', timeoutMs: 1500, with: { run: `trap "" TERM; ${SPAWNER}; wait` } })]),
      inputs: {},
      registry: makeRegistry(),
      stateDir: state.dir,
      clock: systemClock,
      killGraceMs: 200,
      onEvent: (event) => events.push(event),
    });
    expect(result.steps.stubborn).toMatchObject({ status: 'failed', errorClass: 'timeout', error: 'attempt 1 timed out after 1s500ms' });
    expectAllGone(pidsFrom(events));
  });

  it('a step that ignores its signal does not hold the run forever', async () => {
    const calls: string[] = [];
    const deaf = {
      type: 'deaf',
      description: 'ignores its signal',
      schema: { type: 'object' },
      outputs: {},
      mutating: false,
      run: () => new Promise(() => {}),
    };
    const result = await executeRunbook({
      runbook: makeRunbook([makeStep('d', { type: 'deaf', timeoutMs: 50 })]),
      inputs: {},
      registry: makeRegistry([...makeTestSteps(calls), deaf]),
      stateDir: state.dir,
      clock: systemClock,
      killGraceMs: 10,
    });
    expect(result.steps.d).toMatchObject({ status: 'failed', errorClass: 'timeout' });
  });
});
