import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepError, UsageError } from '../../src/errors.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { executeRunbook, listRuns, readJournal, resumeRunbook } from '../../src/engine/index.js';
import { openDefaultStore } from '../../src/store/default.js';
import { journalPathFor } from '../../src/store/local/paths.js';
import { isProcessAlive } from '../../src/proc/kill.js';
import type { AnyStepType } from '../../src/steps/types.js';
import { systemClock, VirtualClock } from '../../src/time/clock.js';
import { eventsOf, makeRegistry, makeRunbook, makeStateDir, makeStep, makeTestSteps, T0 } from './fixtures.js';
import { makeKillRunbook } from './fixtures/kill-runbook.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

/** A step that fails while `broken.value` is true. */
function makeGate(broken: { value: boolean }, calls: string[]): AnyStepType {
  return {
    type: 'gate',
    description: 'fails while broken',
    schema: { type: 'object' },
    outputs: {},
    mutating: false,
    async run(_params, ctx) {
      calls.push(ctx.stepId);
      if (broken.value) throw new StepError('still broken', { errorClass: 'permanent' });
      return { fixed: true };
    },
  };
}

const runbook = makeRunbook([
  makeStep('a', { type: 'echo', with: { n: 1 } }),
  makeStep('skipped', { when: 'false' }),
  makeStep('b', { needs: ['a', 'skipped'], type: 'gate' }),
  makeStep('c', { needs: ['b'], type: 'echo', with: { fromA: '${{ steps.a.outputs.n }}' } }),
  makeStep('side', { type: 'echo', with: { x: 1 } }),
]);

async function runFailing(calls: string[], broken: { value: boolean }) {
  return executeRunbook({
    runbook,
    inputs: {},
    registry: makeRegistry([...makeTestSteps(calls), makeGate(broken, calls)]),
    stateDir: state.dir,
    clock: new VirtualClock({ start: T0 }),
  });
}

describe('resume', () => {
  it('reuses succeeded and when-skipped steps with their outputs and runs the rest in the same journal', async () => {
    const calls: string[] = [];
    const broken = { value: true };
    const first = await runFailing(calls, broken);
    expect(first.status).toBe('failed');
    expect(calls.sort()).toEqual(['a', 'b', 'side']);

    calls.length = 0;
    broken.value = false;
    const events: EngineEvent[] = [];
    const second = await resumeRunbook({
      runId: first.runId,
      runbook,
      inputs: {},
      registry: makeRegistry([...makeTestSteps(calls), makeGate(broken, calls)]),
      stateDir: state.dir,
      clock: new VirtualClock({ start: T0 + 60_000 }),
      onEvent: (event) => events.push(event),
    });
    expect(second.status).toBe('succeeded');
    expect(second.runId).toBe(first.runId);
    expect(second.journalPath).toBe(first.journalPath);
    expect(calls).toEqual(['b', 'c']);
    expect(second.steps.a).toMatchObject({ status: 'succeeded', outputs: { n: 1 }, reused: true });
    expect(second.steps.skipped).toMatchObject({ status: 'skipped', reused: true });
    expect(second.steps.c!.outputs).toEqual({ fromA: 1 });
    expect(eventsOf(events, 'step-end').filter((e) => e.reused).map((e) => e.stepId).sort()).toEqual(['a', 'side', 'skipped']);
    expect(events[0]).toMatchObject({ type: 'run-start', resumedFrom: first.runId });

    const journal = await readJournal(first.journalPath);
    expect(eventsOf(journal, 'run-start')).toHaveLength(2);
    expect(eventsOf(journal, 'run-end').map((e) => e.status)).toEqual(['failed', 'succeeded']);
    const [run] = await listRuns(openDefaultStore(state.dir));
    expect(run).toMatchObject({ runId: first.runId, status: 'succeeded', resumes: 1, durationMs: 60_000 });
  });

  it('refuses when the runbook changed, unless allowChanged', async () => {
    const calls: string[] = [];
    const broken = { value: true };
    const first = await runFailing(calls, broken);
    broken.value = false;
    const changed = { ...runbook, sha256: 'c'.repeat(64) };
    const options = {
      runId: first.runId,
      runbook: changed,
      inputs: {},
      registry: makeRegistry([...makeTestSteps(calls), makeGate(broken, calls)]),
      stateDir: state.dir,
      clock: new VirtualClock({ start: T0 }),
    };
    const error = await resumeRunbook(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `runbook test.yaml changed since run ${first.runId} started (sha256 aaaaaaaaaaaa… → cccccccccccc…); the recorded ` +
        'steps may no longer match it. Start a new run, or pass --allow-changed to resume anyway',
    );
    expect((await resumeRunbook({ ...options, allowChanged: true })).status).toBe('succeeded');
  });

  it('refuses to resume a run that succeeded, or one that does not exist', async () => {
    const calls: string[] = [];
    const done = await runFailing(calls, { value: false });
    const options = { runbook, inputs: {}, registry: makeRegistry([...makeTestSteps(calls), makeGate({ value: false }, calls)]), stateDir: state.dir };
    await expect(resumeRunbook({ ...options, runId: done.runId })).rejects.toThrow(/already succeeded; there is nothing to resume/);
    await expect(resumeRunbook({ ...options, runId: '20260101-000000-000-ffffff' })).rejects.toThrow(UsageError);
    await expect(resumeRunbook({ ...options, runId: '../../etc' })).rejects.toThrow(UsageError);
  });

  it('resumes a run that was SIGKILLed in the middle of a step: finished steps are not re-run, the rest completes', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'opsbook-kill-'));
    const runId = '20260101-000000-000-abcdef';
    let shellPid: number | undefined;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/kill-runner.ts'), state.dir, runId, workDir], {
        stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const pidFile = join(workDir, 'b.pid');
      for (let i = 0; i < 600 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
      shellPid = Number(readFileSync(pidFile, 'utf8'));
      child.kill('SIGKILL');
      await exited;

      const before = await readJournal(journalPathFor(state.dir, runId));
      expect(eventsOf(before, 'run-end')).toHaveLength(0);
      expect(eventsOf(before, 'step-start').map((e) => e.stepId)).toEqual(['a', 'b']);
      expect((await listRuns(openDefaultStore(state.dir)))[0]!.status).toBe('crashed');
      // The killed engine could not clean up; its orphaned step is the operator's to stop (and ours here).
      process.kill(-shellPid, 'SIGKILL');

      writeFileSync(join(workDir, 'resume'), '');
      const result = await resumeRunbook({
        runId,
        runbook: makeKillRunbook(),
        inputs: {},
        registry: makeRegistry(),
        stateDir: state.dir,
        clock: systemClock,
        env: { DIR: workDir },
      });
      expect(result.status).toBe('succeeded');
      expect(result.steps.a).toMatchObject({ status: 'succeeded', reused: true, outputs: { value: 'from-a' } });
      expect(readFileSync(join(workDir, 'a.count'), 'utf8')).toBe('a\n');
      expect(readFileSync(join(workDir, 'b.count'), 'utf8')).toBe('b\n');
      expect(readFileSync(join(workDir, 'c.out'), 'utf8')).toBe('from-a\n');
      const after = await readJournal(journalPathFor(state.dir, runId));
      expect(eventsOf(after, 'run-start').map((e) => e.resumedFrom)).toEqual([undefined, runId]);
      expect(after.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
    } finally {
      if (shellPid && isProcessAlive(shellPid)) process.kill(-shellPid, 'SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses to resume a run that is still running, and lists it as running', async () => {
    const controller = new AbortController();
    const registry = makeRegistry(makeTestSteps());
    const book = makeRunbook([makeStep('long', { type: 'hang' })]);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const run = executeRunbook({
      runbook: book,
      inputs: {},
      registry,
      stateDir: state.dir,
      runId: '20260101-000000-000-cccccc',
      clock: new VirtualClock({ start: T0, autoAdvance: false }),
      signal: controller.signal,
      onEvent: (e) => e.type === 'attempt-start' && started(),
    });
    await running;
    expect((await listRuns(openDefaultStore(state.dir)))[0]!.status).toBe('running');
    await expect(resumeRunbook({ runId: '20260101-000000-000-cccccc', runbook: book, inputs: {}, registry, stateDir: state.dir })).rejects.toThrow(
      new RegExp(`run 20260101-000000-000-cccccc is still running \\(pid ${process.pid} on host .+ since .+\\); wait for it to end or stop it first`),
    );
    controller.abort();
    expect((await run).status).toBe('interrupted');
  });

  it('resumes an interrupted run', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const registry = makeRegistry(makeTestSteps(calls));
    const book = makeRunbook([makeStep('a'), makeStep('b', { needs: ['a'], type: 'wait', with: { ms: 5000 } })]);
    const first = await executeRunbook({
      runbook: book,
      inputs: {},
      registry,
      stateDir: state.dir,
      clock: new VirtualClock({ start: T0, autoAdvance: false }),
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'attempt-start' && e.stepId === 'b') setImmediate(() => controller.abort());
      },
    });
    expect(first.status).toBe('interrupted');
    calls.length = 0;
    const second = await resumeRunbook({ runId: first.runId, runbook: book, inputs: {}, registry, stateDir: state.dir, clock: new VirtualClock({ start: T0 }) });
    expect(second.status).toBe('succeeded');
    expect(calls).toEqual(['b']);
  });
  describe('a step whose outputs held a secret', () => {
    const secret = 'tok-S3cret-777';
    const secretRunbook = makeRunbook(
      [
        makeStep('login', { type: 'echo', with: { session: 'session-${{ inputs.token }}' } }),
        makeStep('b', { needs: ['login'], type: 'gate' }),
        makeStep('use', { needs: ['b'], type: 'echo', with: { got: '${{ steps.login.outputs.session }}' } }),
      ],
      { inputs: { token: { name: 'token', type: 'secret', required: true, fromEnv: 'TOKEN' } } },
    );
    const options = (calls: string[], broken: { value: boolean }) => ({
      runbook: secretRunbook,
      inputs: { token: secret },
      registry: makeRegistry([...makeTestSteps(calls), makeGate(broken, calls)]),
      stateDir: state.dir,
      clock: new VirtualClock({ start: T0 }),
    });

    it('is journaled with outputsRedacted and runs again on resume, so later steps get the value, not ***', async () => {
      const calls: string[] = [];
      const broken = { value: true };
      const first = await executeRunbook(options(calls, broken));
      expect(first.status).toBe('failed');
      const loginEnd = eventsOf(await readJournal(first.journalPath), 'step-end').find((e) => e.stepId === 'login');
      expect(loginEnd).toMatchObject({ outputs: { session: 'session-***' }, outputsRedacted: true });

      calls.length = 0;
      broken.value = false;
      const events: EngineEvent[] = [];
      const seen: unknown[] = [];
      const registry = makeRegistry([...makeTestSteps(calls), makeGate(broken, calls)]);
      const spy = registry.get('echo')!;
      const run = spy.run.bind(spy);
      spy.run = async (params, ctx) => (seen.push(params), run(params, ctx));
      const second = await resumeRunbook({ ...options(calls, broken), registry, runId: first.runId, onEvent: (e) => events.push(e) });
      expect(second.status).toBe('succeeded');
      expect(calls).toEqual(['login', 'b', 'use']);
      expect(seen).toContainEqual({ got: `session-${secret}` });
      expect(events[0]).toMatchObject({
        type: 'run-start',
        rerun: [{ stepId: 'login', reason: 'its outputs held a secret, which the journal never stores' }],
      });
      expect(eventsOf(events, 'step-end').find((e) => e.stepId === 'login')).not.toHaveProperty('reused');
      expect(JSON.stringify(await readJournal(first.journalPath))).not.toContain(secret);
    });

    it('an older journal without outputsRedacted is reused as before', async () => {
      const calls: string[] = [];
      const broken = { value: true };
      const first = await executeRunbook(options(calls, broken));
      const text = readFileSync(first.journalPath, 'utf8').replaceAll(',"outputsRedacted":true', '');
      expect(text).not.toContain('outputsRedacted');
      writeFileSync(first.journalPath, text);
      calls.length = 0;
      broken.value = false;
      const events: EngineEvent[] = [];
      const second = await resumeRunbook({ ...options(calls, broken), runId: first.runId, onEvent: (e) => events.push(e) });
      expect(second.status).toBe('succeeded');
      expect(calls).toEqual(['b', 'use']);
      expect(second.steps.login).toMatchObject({ status: 'succeeded', reused: true });
      expect(events[0]).not.toHaveProperty('rerun');
    });
  });
});
