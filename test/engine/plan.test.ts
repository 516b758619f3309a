import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planRunbook, selectSteps } from '../../src/engine/index.js';
import { KNOWN_AFTER_RUN } from '../../src/engine/plan/index.js';
import type { AnyStepType } from '../../src/steps/types.js';
import { makeRegistry, makeRunbook, makeStep, makeTestSteps } from './fixtures.js';

const previewing: AnyStepType = {
  type: 'previewing',
  description: 'reads the cluster in plan',
  schema: { type: 'object', properties: { nodes: { type: 'array' } } },
  outputs: {},
  mutating: true,
  async run() {
    return {};
  },
  async plan(params: { nodes: string[] }, ctx) {
    const kube = await ctx.kube();
    return { summary: `would approve ${params.nodes.length} CSRs on ${kube.server}` };
  },
};

const registry = makeRegistry([...makeTestSteps(), previewing]);
const inputs = { nodes: { name: 'nodes', type: 'array' as const, required: true }, window: { name: 'window', type: 'duration' as const, required: false, default: '1h' } };

describe('plan', () => {
  it('groups steps into waves and computes worst cases and the critical path against the deadline', async () => {
    const retry = { attempts: 3, backoff: { initialMs: 5000, factor: 2, maxMs: 60_000 } };
    const runbook = makeRunbook(
      [
        makeStep('pending', { timeoutMs: 30 * 60_000, retry }),
        makeStep('approve', { needs: ['pending'], timeoutMs: 10 * 60_000, retry: { ...retry, maxDurationMs: 15 * 60_000 } }),
        makeStep('note', { needs: ['pending'], timeoutMs: 60_000 }),
        makeStep('ready', { needs: ['approve', 'note'], timeoutMs: 20 * 60_000 }),
        makeStep('other', { timeoutMs: 1000 }),
      ],
      { deadline: '${{ inputs.window }}', inputs },
    );
    const plan = await planRunbook({ runbook, inputs: { nodes: ['w1'], window: '1h' }, registry });
    expect(plan.waves).toEqual([['pending', 'other'], ['approve', 'note'], ['ready']]);
    const worst = Object.fromEntries(plan.steps.map((s) => [s.id, s.worstCaseMs]));
    // 3 × 30m + 5s + 10s
    expect(worst.pending).toBe(90 * 60_000 + 15_000);
    // 3 × 10m + 15s capped at maxDuration 15m
    expect(worst.approve).toBe(15 * 60_000);
    expect(worst.note).toBe(60_000);
    expect(plan.criticalPath).toEqual({ steps: ['pending', 'approve', 'ready'], worstCaseMs: (90 + 15 + 20) * 60_000 + 15_000 });
    expect(plan.deadline).toEqual({ source: '${{ inputs.window }}', ms: 3_600_000 });
    expect(plan.warnings).toEqual([
      'worst case 2h5m15s along pending → approve → ready exceeds spec.deadline ${{ inputs.window }} (= 1h): the run may be cut off by its deadline',
    ]);
    expect(plan.worstCaseMs).toBe(plan.criticalPath.worstCaseMs);
    expect(plan.steps.find((s) => s.id === 'approve')).toMatchObject({ wave: 1, timeoutMs: 600_000, retry: { attempts: 3, maxDurationMs: 900_000 } });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('counts only the steps a partial run would run: reused and unselected steps take no time', async () => {
    const steps = [
      makeStep('slow', { timeoutMs: 60 * 60_000 }),
      makeStep('after', { needs: ['slow'], timeoutMs: 10 * 60_000 }),
      makeStep('side', { timeoutMs: 20 * 60_000 }),
      makeStep('wide', { timeoutMs: 20 * 60_000 }),
    ];
    const runbook = makeRunbook(steps, { concurrency: 1, deadline: '45m' });
    const full = await planRunbook({ runbook, inputs: {}, registry });
    expect(full.criticalPath).toEqual({ steps: ['slow', 'after'], worstCaseMs: 70 * 60_000 });
    expect(full.worstCaseMs).toBe(110 * 60_000);
    const fromRun = { runId: 'r1', steps: new Map(steps.map((s) => [s.id, { type: 'step-end', time: '', runId: 'r1', stepId: s.id, status: 'succeeded', outputs: {} } as const])) };
    // --from after: slow is reused (settled once its needs are done, like the scheduler does), side and wide too.
    const from = await planRunbook({ runbook, inputs: {}, registry, selection: selectSteps(runbook, { only: [], skip: [], from: ['after'], fromRun }) });
    expect(from.criticalPath).toEqual({ steps: ['after'], worstCaseMs: 10 * 60_000 });
    expect(from.worstCaseMs).toBe(10 * 60_000);
    expect(from.warnings).toEqual([]);
    expect(from.steps.find((s) => s.id === 'slow')!.worstCaseMs).toBe(60 * 60_000);
    const skip = await planRunbook({ runbook, inputs: {}, registry, selection: selectSteps(runbook, { only: [], skip: ['slow', 'after'] }) });
    expect(skip.criticalPath).toEqual({ steps: ['side'], worstCaseMs: 20 * 60_000 });
    expect(skip.worstCaseMs).toBe(40 * 60_000);
    expect(skip.warnings).toEqual([]);
    expect(full.warnings).toHaveLength(1);
    const only = await planRunbook({ runbook, inputs: {}, registry, selection: selectSteps(runbook, { only: ['wide'], skip: [], fromRun }) });
    expect([only.criticalPath.worstCaseMs, only.worstCaseMs]).toEqual([20 * 60_000, 20 * 60_000]);
  });

  it('warns when the concurrency limit, not the critical path, makes the worst case exceed the deadline', async () => {
    const steps = ['a', 'b', 'c', 'd', 'e'].map((id) => makeStep(id, { timeoutMs: 10 * 60_000 }));
    const plan = await planRunbook({ runbook: makeRunbook(steps, { concurrency: 2, deadline: '25m' }), inputs: {}, registry });
    expect(plan.criticalPath.worstCaseMs).toBe(10 * 60_000);
    expect(plan.worstCaseMs).toBe(30 * 60_000);
    expect(plan.warnings).toEqual([
      'worst case 30m with concurrency 2 exceeds spec.deadline 25m (the critical path alone fits): the run may be cut off by its deadline',
    ]);
    const wider = await planRunbook({ runbook: makeRunbook(steps, { concurrency: 2, deadline: '25m' }), inputs: {}, registry, concurrency: 5 });
    expect(wider.worstCaseMs).toBe(10 * 60_000);
    expect(wider.warnings).toEqual([]);
  });

  it('shows values only a run can produce as known after run and such whens as undetermined', async () => {
    const runbook = makeRunbook(
      [
        makeStep('a', { type: 'echo', with: { nodes: '${{ inputs.nodes }}' } }),
        makeStep('b', {
          needs: ['a'],
          type: 'echo',
          with: { count: '${{ size(steps.a.outputs.nodes) }}', first: '${{ inputs.nodes[0] }}' },
          env: { N: '${{ steps.a.outputs.nodes }}' },
          when: "steps.a.status == 'succeeded'",
        }),
        makeStep('c', { when: 'size(inputs.nodes) > 5' }),
        makeStep('d', { when: 'size(inputs.nodes) > 0' }),
      ],
      { inputs },
    );
    const plan = await planRunbook({ runbook, inputs: { nodes: ['w1', 'w2'] }, registry });
    const [a, b, c, d] = plan.steps;
    expect(a!.with).toEqual({ nodes: ['w1', 'w2'] });
    expect(b!.with).toEqual({ count: KNOWN_AFTER_RUN, first: 'w1' });
    expect(b!.knownAfterRun).toEqual(['with.count', 'env.N']);
    expect(b!.when).toEqual({ source: "steps.a.status == 'succeeded'", result: 'undetermined', reason: 'depends on the outputs or status of earlier steps' });
    expect(b!.previewUnavailable).toBe('parameters are known after run');
    expect(c!.when).toEqual({ source: 'size(inputs.nodes) > 5', result: false });
    expect(c!.previewUnavailable).toBe('skipped: when is false');
    expect(d!.when!.result).toBe(true);
    expect(plan.warnings).toEqual([]);
  });

  it('adds read-only previews when a cluster is reachable, and says why when it is not', async () => {
    const runbook = makeRunbook([makeStep('approve', { type: 'previewing', with: { nodes: '${{ inputs.nodes }}' } })], { inputs });
    const kube = async () => ({ server: 'https://sim:6443' }) as never;
    const withCluster = await planRunbook({ runbook, inputs: { nodes: ['w1', 'w2'] }, registry, kube });
    expect(withCluster.steps[0]).toMatchObject({ mutating: true, preview: { summary: 'would approve 2 CSRs on https://sim:6443' } });
    const without = await planRunbook({ runbook, inputs: { nodes: ['w1'] }, registry });
    expect(without.steps[0]!.preview).toBeUndefined();
    expect(without.steps[0]!.previewUnavailable).toBe('no cluster configured');
    const refused = await planRunbook({
      runbook,
      inputs: { nodes: ['w1'] },
      registry,
      kube: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      },
    });
    expect(refused.steps[0]!.previewUnavailable).toBe('connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('gives up on a preview that hangs, and says so', async () => {
    const hanging: AnyStepType = { ...previewing, type: 'hanging', plan: () => new Promise(() => {}) };
    const runbook = makeRunbook([makeStep('stuck', { type: 'hanging' }), makeStep('fine', { type: 'previewing', with: { nodes: [] } })]);
    const plan = await planRunbook({
      runbook,
      inputs: {},
      registry: makeRegistry([hanging, previewing]),
      kube: async () => ({ server: 'https://sim' }) as never,
      previewTimeoutMs: 50,
    });
    expect(plan.steps[0]!.previewUnavailable).toBe('preview timed out');
    expect(plan.steps[1]!.preview!.summary).toBe('would approve 0 CSRs on https://sim');
  });

  it('runs no shell step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbook-plan-'));
    try {
      const marker = join(dir, 'ran');
      const runbook = makeRunbook([
        makeStep('script', { type: 'shell', with: { run: `touch ${marker}\necho second line` } }),
        makeStep('argv', { type: 'shell', with: { command: ['touch', marker] } }),
      ]);
      const plan = await planRunbook({ runbook, inputs: {}, registry });
      expect(plan.steps.map((s) => s.preview?.summary)).toEqual([`would run bash: touch ${marker} (+1 more lines)`, `would run touch ${marker}`]);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('plans 10,000 steps', async () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => makeStep(`s${i}`, { needs: i === 0 ? [] : [`s${Math.floor((i - 1) / 2)}`] }));
    const plan = await planRunbook({ runbook: makeRunbook(steps), inputs: {}, registry });
    expect(plan.waves).toHaveLength(14);
    expect(plan.criticalPath.steps).toHaveLength(14);
  });
});
