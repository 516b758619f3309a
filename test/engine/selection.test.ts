import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { executeRunbook, findDownstream, readEarlierRun, resumeRunbook, selectSteps } from '../../src/engine/index.js';
import type { StepEndEvent } from '../../src/engine/journal/replay.js';
import { VirtualClock } from '../../src/time/clock.js';
import { eventsOf, makeRegistry, makeRunbook, makeStateDir, makeStep, makeTestSteps, T0 } from './fixtures.js';
import { openDefaultStore } from '../../src/store/default.js';

let state: ReturnType<typeof makeStateDir>;
beforeEach(() => (state = makeStateDir()));
afterEach(() => state.cleanup());

const runbook = makeRunbook([
  makeStep('inventory', { type: 'echo', with: { hosts: 'a' } }),
  makeStep('audit', { type: 'echo', with: { n: 7 } }),
  makeStep('approve', { type: 'echo', needs: ['inventory'], with: { got: '${{ steps.inventory.outputs.hosts }}' } }),
  makeStep('finish', { type: 'echo', needs: ['approve', 'audit'], with: { n: '${{ steps.audit.outputs.n }}' } }),
  // reads an output without a `needs` edge (validation would refuse it; downstream still follows the reference)
  makeStep('report', { type: 'echo', with: { n: '${{ steps.audit.outputs.n }}' } }),
]);

const run = (calls: string[], selection?: Parameters<typeof executeRunbook>[1], onEvent?: (e: EngineEvent) => void) =>
  executeRunbook(
    { runbook, inputs: {}, registry: makeRegistry(makeTestSteps(calls)), stateDir: state.dir, clock: new VirtualClock({ start: T0 }), ...(onEvent ? { onEvent } : {}) },
    selection,
  );

const end = (stepId: string, init: Partial<StepEndEvent>): StepEndEvent =>
  ({ type: 'step-end', time: '', runId: 'r', stepId, status: 'succeeded', outputs: {}, ...init }) as StepEndEvent;

describe('partial re-runs (engine)', () => {
  it('downstream follows needs and output references, transitively, with why', () => {
    expect([...findDownstream(runbook, ['inventory'])]).toEqual([
      ['inventory', '--from inventory'],
      ['approve', 'downstream of --from inventory (needs inventory)'],
      ['finish', 'downstream of --from inventory (needs approve)'],
    ]);
    expect(findDownstream(runbook, ['audit']).get('report')).toBe('downstream of --from audit (reads steps.audit.outputs.n)');
  });

  it('runs only the selected steps, handing them the reused outputs of the earlier run', async () => {
    const first = await run([]);
    const calls: string[] = [];
    const events: EngineEvent[] = [];
    const fromRun = await readEarlierRun(openDefaultStore(state.dir), first.runId);
    const result = await run(calls, selectSteps(runbook, { only: ['approve'], skip: [], fromRun }), (e) => events.push(e));
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual(['approve']);
    expect(result.steps.approve!.outputs).toEqual({ got: 'a' });
    expect(result.steps.inventory).toMatchObject({ status: 'succeeded', reused: true, reusedFrom: first.runId });
    expect(eventsOf(events, 'run-start')[0]!.selection).toEqual({ only: ['approve'], fromRun: first.runId });
    expect(eventsOf(events, 'step-start').map((e) => e.stepId)).toEqual(['approve']);
  });

  it('refuses outputs that were redacted in the earlier run: the journal holds ***, not the value', () => {
    const fromRun = { runId: 'r1', steps: new Map([['inventory', end('inventory', { outputs: { hosts: '***' }, outputsRedacted: true })]]) };
    const attempt = () => selectSteps(runbook, { only: ['approve'], skip: [], fromRun });
    expect(attempt).toThrow(UsageError);
    expect(attempt).toThrow(/\(approve\)\.with\.got reads steps\.inventory\.outputs\.hosts, but step 'inventory' is not selected and in run r1 its journaled outputs were redacted/);
  });

  it('skips unselected steps with skip "selection" when nothing is reused, and exit-2s on a missing need', async () => {
    const calls: string[] = [];
    const events: EngineEvent[] = [];
    const result = await run(calls, selectSteps(runbook, { only: [], skip: ['audit', 'finish', 'report'] }), (e) => events.push(e));
    expect(result.status).toBe('succeeded');
    expect(calls.sort()).toEqual(['approve', 'inventory']);
    expect(eventsOf(events, 'step-end').find((e) => e.stepId === 'audit')).toMatchObject({
      status: 'skipped', skip: 'selection', reason: 'not selected (--skip audit); no --from-run to reuse it from',
    });
    expect(() => selectSteps(runbook, { only: [], skip: ['audit'] })).toThrow(/finish\)\.needs needs audit/);
    expect(() => selectSteps(runbook, { only: ['finsh'], skip: [] })).toThrow(/--only finsh: no step 'finsh'.*did you mean 'finish'/);
  });

  it('names the flag that left each step out: --from, --skip or --only, as typed', () => {
    const fromRun = { runId: 'r1', steps: new Map(runbook.steps.map((s) => [s.id, end(s.id, { outputs: { hosts: 'a', n: 7 } })])) };
    const reasons = (selection: ReturnType<typeof selectSteps>) => Object.fromEntries([...selection.settled].map(([id, o]) => [id, o.reason]));
    const from = selectSteps(runbook, { only: [], skip: ['finish'], from: ['inventory'], fromRun });
    expect(from.selected).toEqual(['inventory', 'approve']);
    expect(reasons(from)).toEqual({
      audit: 'not selected (not downstream of --from inventory)',
      finish: 'not selected (--skip finish)',
      report: 'not selected (not downstream of --from inventory)',
    });
    expect(from).toMatchObject({ from: ['inventory'], skip: ['finish'], fromRun: 'r1' });
    expect(from.only).toBeUndefined();
    expect(reasons(selectSteps(runbook, { only: ['approve', 'finish'], skip: [], fromRun }))).toMatchObject({ inventory: 'not selected (--only approve,finish)' });
    expect(() => selectSteps(runbook, { only: [], skip: [], from: ['approve'] })).toThrow(/\(--from approve leaves them out\)/);
    expect(() => selectSteps(runbook, { only: ['audit'], skip: [], from: ['approve'] })).toThrow(/cannot be combined with --only/);
    expect(() => selectSteps(runbook, { only: [], skip: [], from: ['aprove'] })).toThrow(/--from aprove: no step 'aprove'/);
  });

  it('resume --from re-runs a succeeded run from a step, reusing the rest, in the same journal', async () => {
    const first = await run([]);
    const calls: string[] = [];
    const events: EngineEvent[] = [];
    const second = await resumeRunbook({
      runId: first.runId,
      runbook,
      inputs: {},
      registry: makeRegistry(makeTestSteps(calls)),
      stateDir: state.dir,
      clock: new VirtualClock({ start: T0 + 60_000 }),
      from: ['approve'],
      onEvent: (e) => events.push(e),
    });
    expect(second.status).toBe('succeeded');
    // report failed in the first run (it read audit without needing it), so any resume runs it again
    expect(calls.filter((id) => id !== 'report').sort()).toEqual(['approve', 'finish']);
    expect(second.steps.inventory).toMatchObject({ reused: true, outputs: { hosts: 'a' } });
    expect(eventsOf(events, 'run-start')[0]).toMatchObject({ resumedFrom: first.runId, selection: { from: ['approve'] } });
    await expect(
      resumeRunbook({ runId: first.runId, runbook, inputs: {}, registry: makeRegistry(makeTestSteps()), stateDir: state.dir, from: ['aprove'] }),
    ).rejects.toThrow(/did you mean 'approve'/);
  });
});
