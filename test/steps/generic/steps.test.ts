import { mkdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/engine/events.js';
import { executeRunbook } from '../../../src/engine/index.js';
import type { ExecuteOptions } from '../../../src/engine/options.js';
import type { StepSpec } from '../../../src/runbook/types.js';
import { systemClock, VirtualClock } from '../../../src/time/clock.js';
import { eventsOf, makeRegistry, makeRunbook, makeStateDir, makeStep, T0 } from '../../engine/fixtures.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

async function run(steps: StepSpec[], options: Partial<ExecuteOptions> = {}) {
  const events: EngineEvent[] = [];
  const result = await executeRunbook({
    runbook: makeRunbook(steps),
    inputs: {},
    registry: makeRegistry(),
    stateDir: state.dir,
    clock: systemClock,
    cwd: state.dir,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { result, events };
}

describe('shell', () => {
  it('runs a bash script with pipefail, streams its lines and reads outputs from $OPSBOOK_OUTPUT', async () => {
    const { result, events } = await run([
      makeStep('s', {
        type: 'shell',
        env: { WHO: 'world' },
        with: { run: 'echo "hello $WHO"\necho warn >&2\necho "greeting=hi" >> "$OPSBOOK_OUTPUT"\necho "step=$OPSBOOK_STEP_ID" >> "$OPSBOOK_OUTPUT"' },
      }),
      makeStep('pipe', { type: 'shell', with: { run: 'false | cat\necho unreachable' } }),
    ]);
    expect(result.steps.s).toMatchObject({ status: 'succeeded', outputs: { greeting: 'hi', step: 's' } });
    expect(eventsOf(events, 'step-log').filter((e) => e.stepId === 's').map((e) => `${e.stream}:${e.line}`)).toEqual(['stdout:hello world', 'stderr:warn']);
    expect(result.steps.pipe).toMatchObject({ status: 'failed', errorClass: 'permanent', error: 'command exited with code 1' });
    expect(eventsOf(events, 'step-log').some((e) => e.line === 'unreachable')).toBe(false);
  });

  it('runs an argv without a shell in the working directory, with JSON outputs', async () => {
    mkdirSync(`${state.dir}/work`);
    const { result } = await run([
      makeStep('argv', {
        type: 'shell',
        with: { command: ['node', '-e', 'require("fs").writeFileSync(process.env.OPSBOOK_OUTPUT, JSON.stringify({cwd: process.cwd(), arg: "$HOME"}))'], workingDirectory: 'work' },
      }),
    ]);
    expect(result.steps.argv!.outputs).toEqual({ cwd: `${state.dir}/work`, arg: '$HOME' });
  });

  it('fails with the exit code and the tail of stderr', async () => {
    const { result } = await run([
      makeStep('bad', { type: 'shell', with: { run: 'for i in $(seq 1 30); do echo "err $i" >&2; done; exit 7' } }),
    ]);
    const error = result.steps.bad!.error!;
    expect(error.split('\n')[0]).toBe('command exited with code 7:');
    expect(error.split('\n').slice(1)).toEqual(Array.from({ length: 20 }, (_, i) => `err ${i + 11}`));
  });

  it('rejects parameters with both or neither of run and command', async () => {
    const { result } = await run([
      makeStep('both', { type: 'shell', continueOnError: true, with: { run: 'true', command: ['true'] } }),
      makeStep('neither', { type: 'shell', continueOnError: true }),
    ]);
    expect(result.steps.both).toMatchObject({
      status: 'failed', errorClass: 'permanent', error: "invalid parameters for shell: with: must have exactly one of 'run', 'command'",
    });
    expect(result.steps.neither).toMatchObject({ status: 'failed', error: "invalid parameters for shell: with: needs one of 'run', 'command'" });
  });

  it('reports a program that does not exist', async () => {
    const { result } = await run([makeStep('x', { type: 'shell', with: { command: ['opsbook-missing-binary'] } })]);
    expect(result.steps.x!.error).toBe('cannot start opsbook-missing-binary: command not found');
  });
});

describe('pause', () => {
  it('passes with --approve and journals who approved', async () => {
    const { result, events } = await run([makeStep('gate', { type: 'pause', with: { message: 'drain done?' } })], { approvals: ['gate'] });
    expect(result.steps.gate!.status).toBe('succeeded');
    expect(result.steps.gate!.outputs.approvedBy).toBe('--approve flag');
    expect(eventsOf(events, 'step-approval')).toMatchObject([{ stepId: 'gate', approved: true, by: '--approve flag' }]);
  });

  it('asks through confirm and records the answer', async () => {
    const asked: string[] = [];
    const { result, events } = await run(
      [makeStep('yes', { type: 'pause', with: { message: 'go?' } }), makeStep('no', { needs: ['yes'], type: 'pause', with: { message: 'really?' } })],
      {
        confirm: async ({ stepId, message }) => {
          asked.push(`${stepId}:${message}`);
          return { approved: stepId === 'yes', by: 'alice' };
        },
      },
    );
    expect(asked).toEqual(['yes:go?', 'no:really?']);
    expect(result.steps.yes!.outputs.approvedBy).toBe('alice');
    expect(result.steps.no).toMatchObject({ status: 'failed', error: 'not approved (answered no by alice)' });
    expect(eventsOf(events, 'step-approval').map((e) => [e.stepId, e.approved, e.by])).toEqual([
      ['yes', true, 'alice'],
      ['no', false, 'alice'],
    ]);
  });

  it('asks parallel gates one at a time', async () => {
    let asking = 0;
    let peak = 0;
    const order: string[] = [];
    const { result } = await run(
      ['g1', 'g2', 'g3'].map((id) => makeStep(id, { type: 'pause', with: { message: id } })),
      {
        confirm: async ({ stepId }) => {
          peak = Math.max(peak, ++asking);
          order.push(stepId);
          await new Promise((r) => setTimeout(r, 5));
          asking--;
          return { approved: true, by: 'alice' };
        },
      },
    );
    expect(result.status).toBe('succeeded');
    expect(peak).toBe(1);
    expect(order).toEqual(['g1', 'g2', 'g3']);
  });

  it('a gate that times out while waiting its turn is never asked and does not jump the queue', async () => {
    const asked: string[] = [];
    let asking = 0;
    let peak = 0;
    const { result } = await run(
      [
        makeStep('g1', { type: 'pause', with: { message: 'first' } }),
        makeStep('g2', { type: 'pause', with: { message: 'second' }, timeoutMs: 50, continueOnError: true }),
        makeStep('g3', { type: 'pause', with: { message: 'third' } }),
      ],
      {
        confirm: async ({ stepId }) => {
          peak = Math.max(peak, ++asking);
          asked.push(stepId);
          await new Promise((r) => setTimeout(r, stepId === 'g1' ? 300 : 1));
          asking--;
          return { approved: true, by: 'alice' };
        },
      },
    );
    expect(asked).toEqual(['g1', 'g3']);
    expect(peak).toBe(1);
    expect(result.steps.g2).toMatchObject({ status: 'failed', errorClass: 'timeout' });
    expect(result.steps.g3!.status).toBe('succeeded');
  });

  it('fails at once without a terminal unless pre-approved', async () => {
    const { result } = await run([makeStep('gate', { type: 'pause', with: { message: 'ok?' } })]);
    expect(result.steps.gate!.error).toBe('manual gate gate needs approval but there is no terminal to ask; pass --approve gate');
  });

  it('is bounded by its timeout', async () => {
    const { result } = await run([makeStep('gate', { type: 'pause', timeoutMs: 100, with: { message: 'ok?' } })], {
      confirm: ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    expect(result.steps.gate).toMatchObject({ status: 'failed', errorClass: 'timeout' });
  });
});

describe('fail and sleep', () => {
  it('sleep is cancelled with the run', async () => {
    const controller = new AbortController();
    const clock = new VirtualClock({ start: T0, autoAdvance: false });
    const { result } = await run([makeStep('nap', { type: 'sleep', with: { duration: '1h' }, timeoutMs: 7_200_000 })], {
      clock,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step-progress') setImmediate(() => controller.abort());
      },
    });
    expect(result.steps.nap!.status).toBe('cancelled');
    expect(result.status).toBe('interrupted');
  });

  it('fail ends the step with its message, usually behind a when', async () => {
    const { result } = await run([
      makeStep('guard', { type: 'fail', when: '1 > 2', with: { message: 'never' } }),
      makeStep('assert', { type: 'fail', with: { message: 'cluster is not healthy' } }),
    ]);
    expect(result.steps.guard!.status).toBe('skipped');
    expect(result.steps.assert).toMatchObject({ status: 'failed', errorClass: 'permanent', error: 'cluster is not healthy' });
  });

  it('sleep waits its duration on the run clock and refuses at once to outlast its timeout', async () => {
    const clock = new VirtualClock({ start: T0 });
    const { result, events } = await run(
      [
        makeStep('nap', { type: 'sleep', with: { duration: '1h30m' }, timeoutMs: 2 * 3_600_000 }),
        makeStep('ms', { needs: ['nap'], type: 'sleep', with: { duration: 250 } }),
        makeStep('cut', { needs: ['ms'], type: 'sleep', with: { duration: '2h' }, timeoutMs: 60_000 }),
      ],
      { clock },
    );
    expect(result.steps.nap).toMatchObject({ status: 'succeeded', outputs: { sleptMs: 5_400_000 } });
    expect(result.steps.ms!.outputs).toEqual({ sleptMs: 250 });
    expect(result.steps.cut).toMatchObject({
      status: 'failed',
      errorClass: 'timeout',
      error: 'sleep 2h would outlast the time left (1m before the step timeout or run deadline)',
    });
    expect(clock.now() - T0).toBe(5_400_000 + 250);
    expect(eventsOf(events, 'step-progress')[0]!.detail).toBe('sleeping 1h30m');
  });
});
