// plan --fleet's pure parts: the rollout's worst case (waves in sequence, maxParallel within one, deadlines), grouping
// identical previews and warnings; and how a fleet scenario's variations are spread over the clusters.

import { describe, expect, it } from 'vitest';
import { clusterWorstCase, groupPreviews, groupWarnings, listSchedule, rolloutWorstCase, type ClusterPlanSummary } from '../../src/fleet/index.js';
import { RunbookError } from '../../src/errors.js';
import { assignVariations, fleetClusterScenarios, parseScenario } from '../../src/sim/index.js';

const MIN = 60_000;
const cluster = (name: string, wave: number, worstCaseMs: number, extra: Partial<ClusterPlanSummary> = {}): ClusterPlanSummary => ({ name, wave, worstCaseMs, previews: [], warnings: [], ...extra });

describe('rollout worst case', () => {
  it('list-schedules a wave on maxParallel slots, in order', () => {
    expect(listSchedule([10, 10, 10, 10, 10], 2)).toBe(30);
    expect(listSchedule([30, 10, 10, 10], 2)).toBe(30);
    expect(listSchedule([5], 25)).toBe(5);
    expect(listSchedule([], 3)).toBe(0);
  });

  it('adds the waves one after another, cuts each cluster off at its deadline, counts pauses and gates', () => {
    const clusters = [cluster('canary', 1, 60 * MIN, { deadlineMs: 30 * MIN }), cluster('a', 2, 10 * MIN), cluster('b', 2, 20 * MIN), cluster('c', 2, 10 * MIN)];
    expect(clusterWorstCase(clusters[0]!)).toBe(30 * MIN);
    const delayed = rolloutWorstCase(clusters, 2, { kind: 'delay', ms: 5 * MIN });
    expect(delayed.waves).toEqual([
      { wave: 1, clusters: 1, worstCaseMs: 30 * MIN },
      { wave: 2, clusters: 3, worstCaseMs: 20 * MIN },
    ]);
    expect(delayed.worstCaseMs).toBe(55 * MIN);
    const gated = rolloutWorstCase(clusters, 3, { kind: 'manual' });
    expect(gated).toMatchObject({ worstCaseMs: 50 * MIN, pausesMs: 0, manualGates: 1 });
  });
});

describe('grouping', () => {
  it('groups clusters whose previews read the same, largest group first, and says why a group has none', () => {
    const same = [{ step: 'approve-client', summary: 'would approve 2 client CSR(s), refuse 0' }];
    const groups = groupPreviews([
      cluster('a', 1, 0, { previews: same }),
      cluster('dead', 1, 0, { unreachable: 'unreachable: connect ECONNREFUSED' }),
      cluster('b', 2, 0, { previews: same }),
      cluster('c', 2, 0, { previews: [{ step: 'approve-client', summary: 'would approve 0 client CSR(s), refuse 1' }] }),
    ]);
    expect(groups.map((g) => g.clusters)).toEqual([['a', 'b'], ['dead'], ['c']]);
    expect(groups[1]!.unreachable).toContain('ECONNREFUSED');
    expect(groupWarnings([cluster('a', 1, 0, { warnings: ['w1'] }), cluster('b', 1, 0, { warnings: ['w1', 'w2'] })])).toEqual([
      { warning: 'w1', clusters: ['a', 'b'] },
      { warning: 'w2', clusters: ['b'] },
    ]);
  });
});

describe('fleet scenario variations', () => {
  it('spreads each share evenly over the clusters not yet varied, rounding up, at most one each', () => {
    const assigned = assignVariations([{ share: '10%' }, { share: '10%' }, { count: 2 }], 10);
    expect([...assigned.entries()].sort(([a], [b]) => a - b)).toEqual([
      [2, 2],
      [4, 1],
      [5, 0],
      [8, 2],
    ]);
    expect(assignVariations([{ share: '15%' }], 10).size).toBe(2);
    expect(assignVariations([{ count: 20 }], 3).size).toBe(3);
  });

  it("gives each cluster its own scenario: a distinct cluster id, the variation's faults, slower machines, machines that never join", () => {
    const scenario = parseScenario({
      name: 'base',
      machines: [{ name: 'worker-0', joinAt: '10s', readyDelay: '30s' }, { name: 'worker-1' }],
      fleet: {
        variations: [
          { count: 1, slow: 5 },
          { count: 1, faults: { errors: [{ verbs: ['update'], rate: 1, code: 500 }] }, noJoin: ['worker-1'] },
        ],
      },
    });
    const plan = fleetClusterScenarios(scenario, ['a', 'b', 'c', 'd']);
    expect(new Set(plan.map((p) => p.scenario.clusterID)).size).toBe(4);
    const slow = plan.find((p) => p.variation === 0)!;
    expect(slow.scenario.machines[0]).toMatchObject({ joinAt: 50_000, readyDelay: 150_000 });
    expect(slow.differs).toEqual(['slow ×5']);
    const faulty = plan.find((p) => p.variation === 1)!;
    expect(faulty.scenario.faults.errors).toEqual([{ verbs: ['update'], resources: undefined, rate: 1, code: 500 }]);
    expect(faulty.scenario.machines.map((m) => m.name)).toEqual(['worker-0']);
    const plain = plan.filter((p) => p.variation === undefined);
    expect(plain).toHaveLength(2);
    for (const p of plain) expect(p.scenario.machines[0]).toMatchObject({ joinAt: 10_000, readyDelay: 30_000 });
  });

  it('refuses a variation without share or count, at its position', () => {
    let error: unknown;
    try {
      parseScenario({ name: 'x', fleet: { variations: [{ slow: 2 }] } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunbookError);
    expect((error as RunbookError).diagnostics.map((d) => d.path).join(' ')).toContain('fleet.variations[0]');
  });
});
