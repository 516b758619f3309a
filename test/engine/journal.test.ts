import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listRuns, parseJournal, readJournal } from '../../src/engine/index.js';
import { openDefaultStore } from '../../src/store/default.js';
import { createRunId, isRunId } from '../../src/engine/journal/run-id.js';
import { journalPathFor } from '../../src/store/local/paths.js';
import { JOURNAL_VERSION } from '../../src/engine/journal/format.js';
import { UsageError } from '../../src/errors.js';
import { makeRunbook, makeStateDir, makeStep, runWithVirtualClock, T0 } from './fixtures.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => {
  state = makeStateDir();
});
afterEach(() => state.cleanup());

describe('journal', () => {
  it('records one event per line, exactly the events the sink saw, in order', async () => {
    const runbook = makeRunbook(
      [
        makeStep('a', { type: 'flaky', with: { failures: 1 }, retry: { attempts: 2 } }),
        makeStep('b', { needs: ['a'], type: 'echo', with: { v: 1 } }),
      ],
      { inputs: { region: { name: 'region', type: 'string', required: true } } },
    );
    const { result, events } = await runWithVirtualClock(runbook, state.dir, { inputs: { region: 'eu' }, runId: 'fixed-run' });
    expect(result.journalPath).toBe(journalPathFor(state.dir, 'fixed-run'));
    const journal = await readJournal(result.journalPath);
    expect(journal).toEqual(events);
    expect(journal.map((e) => (e.type.startsWith('step') || e.type.startsWith('attempt') ? `${e.type}:${(e as { stepId: string }).stepId}` : e.type))).toEqual([
      'run-start',
      'step-start:a',
      'attempt-start:a',
      'attempt-end:a',
      'attempt-start:a',
      'attempt-end:a',
      'step-end:a',
      'step-start:b',
      'attempt-start:b',
      'attempt-end:b',
      'step-end:b',
      'run-end',
    ]);
    expect(journal[0]).toMatchObject({
      type: 'run-start',
      runId: 'fixed-run',
      time: new Date(T0).toISOString(),
      inputs: { region: 'eu' },
      runbook: { name: 'test', sha256: 'a'.repeat(64) },
      steps: [
        { id: 'a', name: 'a', type: 'flaky', needs: [] },
        { id: 'b', name: 'b', type: 'echo', needs: ['a'] },
      ],
    });
    expect(journal.find((e) => e.type === 'attempt-end')).toMatchObject({ ok: false, errorClass: 'transient', retryInMs: 1000 });
    expect(journal.find((e) => e.type === 'step-end' && e.stepId === 'b')).toMatchObject({ status: 'succeeded', outputs: { v: 1 } });
    expect(journal.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded', durationMs: 1000 });
    expect(readFileSync(result.journalPath, 'utf8').split('\n').at(-1)).toBe('');
  });

  it('has each event in the file before anyone sees it (a crash right after loses nothing shown)', async () => {
    const mismatches: string[] = [];
    const { result } = await runWithVirtualClock(makeRunbook([makeStep('a'), makeStep('b', { needs: ['a'] })]), state.dir, {
      runId: 'ordered-run',
      onEvent: (event) => {
        const lines = readFileSync(journalPathFor(state.dir, 'ordered-run'), 'utf8').trimEnd().split('\n');
        if (lines.at(-1) !== JSON.stringify(event)) mismatches.push(event.type);
      },
    });
    expect(result.status).toBe('succeeded');
    expect(mismatches).toEqual([]);
  });

  it('records outputs as JSON so a resumed run sees what a fresh one saw; unrecordable outputs fail the step', async () => {
    const odd = {
      type: 'odd',
      description: 'returns values JSON does not hold as they are',
      schema: { type: 'object' },
      outputs: {},
      mutating: false,
      async run(params: { circular?: boolean }) {
        if (params.circular) {
          const loop: Record<string, unknown> = {};
          loop.self = loop;
          return loop;
        }
        return { small: 10n, huge: 2n ** 64n, at: new Date(0), nested: [{ n: 1n }] };
      },
    };
    const { makeRegistry, makeTestSteps } = await import('./fixtures.js');
    const { result } = await runWithVirtualClock(
      makeRunbook([makeStep('ok', { type: 'odd' }), makeStep('loop', { type: 'odd', with: { circular: true }, continueOnError: true })]),
      state.dir,
      { registry: makeRegistry([...makeTestSteps(), odd]) },
    );
    const expected = { small: 10, huge: '18446744073709551616', at: '1970-01-01T00:00:00.000Z', nested: [{ n: 1 }] };
    expect(result.steps.ok!.outputs).toEqual(expected);
    const journal = await readJournal(result.journalPath);
    expect(journal.find((e) => e.type === 'step-end' && e.stepId === 'ok')).toMatchObject({ outputs: expected });
    expect(result.steps.loop).toMatchObject({ status: 'failed', errorClass: 'permanent' });
    expect(result.steps.loop!.error).toMatch(/^outputs cannot be recorded as JSON: /);
  });

  it('writes run metadata without secret inputs', async () => {
    const runbook = makeRunbook([makeStep('a')], {
      inputs: {
        region: { name: 'region', type: 'string', required: true },
        token: { name: 'token', type: 'secret', required: true, fromEnv: 'TOKEN' },
      },
    });
    const { result } = await runWithVirtualClock(runbook, state.dir, { inputs: { region: 'eu', token: 's3cr3t-value' } });
    const metadata = (await openDefaultStore(state.dir).readMetadata(result.runId))!;
    expect(metadata.inputs).toEqual({ region: 'eu' });
    expect(metadata.secretInputs).toEqual(['token']);
    expect(metadata.runbook.sha256).toBe('a'.repeat(64));
    for (const file of readdirSync(`${state.dir}/runs/${result.runId}`)) {
      expect(readFileSync(`${state.dir}/runs/${result.runId}/${file}`, 'utf8')).not.toContain('s3cr3t-value');
    }
  });

  const START = '{"type":"run-start","runId":"r","time":"t","runbook":{"path":"/r.yaml","name":"r","sha256":"s"},"inputs":{},"steps":[]}';

  it('tolerates a torn last line, but not a broken line in the middle', () => {
    const good = `${START}\n{"type":"step-start","runId":"r","time":"t","stepId":"a"}\n`;
    expect(parseJournal(`${good}{"type":"step-e`)).toMatchObject({ tornTail: true, events: [{ type: 'run-start' }, { type: 'step-start' }] });
    expect(parseJournal(good)).toMatchObject({ tornTail: false });
    expect(() => parseJournal(`{"type":"run-st\n${good}`, 'journal.ndjson')).toThrow(UsageError);
    expect(() => parseJournal(`{"type":"run-st\n${good}`, 'journal.ndjson')).toThrow(/^journal\.ndjson:1: not a journal event \(not JSON: /);
  });

  it('checks every event it reads: unknown types and missing or mistyped fields are refused with their line', () => {
    const refusals = [
      ['{"type":"step-teleport","runId":"r","time":"t"}', 'unknown type "step-teleport"'],
      ['{"type":"step-end","runId":"r","time":"t","status":"succeeded"}', 'step-end: stepId must be a string (missing)'],
      ['{"type":"attempt-end","runId":"r","time":"t","stepId":"a","attempt":"1","ok":true}', 'attempt-end: attempt must be a number'],
      ['{"type":"run-end","runId":"r","time":"t","status":"failed","durationMs":1,"error":7}', 'run-end: error must be a string'],
      ['{"type":"run-start","runId":"r","time":"t","runbook":{"name":"r"},"inputs":{},"steps":[]}', 'run-start: runbook.path must be a string (missing)'],
      ['[1,2]', 'an array, not an object'],
    ];
    for (const [line, why] of refusals) {
      expect(() => parseJournal(`${START}\n${line}\n{"type":"step-start","runId":"r","time":"t","stepId":"a"}\n`, 'journal.ndjson')).toThrow(
        `journal.ndjson:2: not a journal event (${why})`,
      );
    }
    // A complete last line is no torn write: it is checked like any other.
    expect(() => parseJournal(`${START}\n{"type":"nope","runId":"r","time":"t"}`, 'j')).toThrow('j:2: not a journal event (unknown type "nope")');
  });

  it('writes its format version in run-start, reads journals from before it as version 1, and refuses a newer format', async () => {
    const { result } = await runWithVirtualClock(makeRunbook([makeStep('a')]), state.dir);
    const [start] = await readJournal(result.journalPath);
    expect(start).toMatchObject({ type: 'run-start', journalVersion: JOURNAL_VERSION, host: hostname() });
    expect(JOURNAL_VERSION).toBe(1);
    expect(parseJournal(`${START}\n`).events).toHaveLength(1);
    const newer = START.replace('"runId"', '"journalVersion":2,"runId"');
    expect(() => parseJournal(`${newer}\n`, 'runs/x/journal.ndjson')).toThrow(UsageError);
    expect(() => parseJournal(`${newer}\n`, 'runs/x/journal.ndjson')).toThrow(
      'journal runs/x/journal.ndjson was written by a newer opsbook (format 2; this one reads 1)',
    );
  });

  it('reads back a journal whose last write was torn', async () => {
    const { result } = await runWithVirtualClock(makeRunbook([makeStep('a')]), state.dir);
    appendFileSync(result.journalPath, '{"type":"step-start","runId":"x","ti');
    const events = await readJournal(result.journalPath);
    expect(events.at(-1)!.type).toBe('run-end');
  });

  it('makes sortable, path-safe run ids', () => {
    const first = createRunId(T0);
    const second = createRunId(T0 + 1);
    expect(first).toMatch(/^20260101-000000-000-[0-9a-f]{6}$/);
    expect(isRunId(first)).toBe(true);
    expect(isRunId('../etc')).toBe(false);
    expect([second, first].sort()).toEqual([first, second]);
  });

  it('lists runs newest first with runbook, status, start and duration', async () => {
    const ok = await runWithVirtualClock(makeRunbook([makeStep('a', { type: 'wait', with: { ms: 2000 } })]), state.dir, { runId: '20260101-000000-000-aaaaaa' });
    const bad = await runWithVirtualClock(makeRunbook([makeStep('a', { type: 'fail', with: { message: 'nope' } })]), state.dir, { runId: '20260101-000001-000-bbbbbb' });
    appendFileSync(journalPathFor(state.dir, bad.result.runId), 'torn');
    const runs = await listRuns(openDefaultStore(state.dir));
    expect(runs.map((r) => [r.runId, r.status, r.durationMs])).toEqual([
      ['20260101-000001-000-bbbbbb', 'failed', 0],
      ['20260101-000000-000-aaaaaa', 'succeeded', 2000],
    ]);
    expect(runs[0]).toMatchObject({ runbook: { name: 'test' }, startedAt: new Date(T0).toISOString(), error: 'step a failed: nope', resumes: 0 });
    expect(ok.result.status).toBe('succeeded');
  });

  it('lists a run without run-end whose process is gone as crashed', async () => {
    const { result } = await runWithVirtualClock(makeRunbook([makeStep('a')]), state.dir);
    const lines = readFileSync(result.journalPath, 'utf8').trimEnd().split('\n');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(result.journalPath, `${lines.slice(0, -1).join('\n')}\n`);
    const [run] = await listRuns(openDefaultStore(state.dir));
    expect(run!.status).toBe('crashed');
  });
});
