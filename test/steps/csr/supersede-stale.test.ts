// supersede: deny also settles the abandoned duplicates of a rotation past the one-hour window: an older CSR refused
// only for max-age is denied as superseded once a newer CSR of its node is approved, never one of another node.

import { afterEach, describe, expect, it } from 'vitest';
import { steps } from '../../../src/steps/csr/index.js';
import type { ApproveOutputs } from '../../../src/steps/csr/approver.js';
import { startCluster, runStep, worker, type Cluster } from './harness.js';
import { approvalCounts, conditionsOf, stateOf } from './inject.js';

const approveClient = steps.find((s) => s.type === 'approve-client-csrs')!;
const nodes = ['worker-0', 'worker-1'];

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

function clientCsrsOf(c: Cluster, node: string) {
  return c.sim
    .summary()
    .csrs.items.filter((x) => x.node === node && x.signerName.endsWith('client-kubelet'))
    .sort((a, b) => a.created.localeCompare(b.created));
}

describe('approve-client-csrs with supersede: deny and duplicates past maxAge', { timeout: 60_000 }, () => {
  it('denies every older duplicate of a node, the one past maxAge included, and leaves none pending', async () => {
    // Booted 70 simulated minutes ago, re-posting every 15 minutes: five client CSRs per node, the oldest past 1h.
    cluster = await startCluster({
      name: 'supersede-stale',
      timeScale: 60,
      machines: [worker('worker-0', '10.0.1.10', { joinAt: '-70m' }), worker('worker-1', '10.0.1.11', { joinAt: '-70m' })],
    });
    const c = cluster;
    await runStep(steps.find((s) => s.type === 'wait-for-pending')!, { nodes }, c);
    const result = await runStep<ApproveOutputs>(approveClient, { nodes, supersede: 'deny' }, c);
    expect(result.error).toBeUndefined();
    expect(result.outputs!.refused).toEqual([]);
    for (const node of nodes) {
      const mine = clientCsrsOf(c, node);
      const newest = mine.at(-1)!;
      expect(newest.state).toBe('approved');
      expect(mine.slice(0, -1).map((x) => x.state)).toEqual(mine.slice(0, -1).map(() => 'denied'));
      // The oldest one is the duplicate past maxAge.
      expect(result.outputs!.superseded).toContain(mine[0]!.name);
      expect(conditionsOf(c.sim, mine[0]!.name)).toEqual([
        expect.objectContaining({ type: 'Denied', message: expect.stringContaining(`superseded by ${newest.name}`) }),
      ]);
    }
    expect([...approvalCounts(c.sim).values()].every((n) => n <= 1)).toBe(true);
  });

  it('supersedes a stale CSR refused in an earlier pass once the newer one arrives and is approved; other nodes untouched', async () => {
    // worker-0 posted 65 minutes ago (already past maxAge) and re-posts 5 minutes into the run; worker-1's only CSR is
    // past maxAge too and nothing newer comes for it within the step.
    cluster = await startCluster({
      name: 'supersede-stale-later',
      timeScale: 60,
      kubelet: { csrRetryInterval: '70m' },
      machines: [worker('worker-0', '10.0.1.10', { joinAt: '-65m' }), worker('worker-1', '10.0.1.11', { joinAt: '-62m' })],
    });
    const c = cluster;
    const logs: string[] = [];
    const result = await runStep<ApproveOutputs>(approveClient, { nodes: ['worker-0'], supersede: 'deny' }, c, { logs, timeoutMs: 20 * 60_000 });
    expect(result.error).toBeUndefined();
    const [old, fresh] = clientCsrsOf(c, 'worker-0');
    // The first pass refused it (logged), a later pass superseded it.
    expect(logs).toContainEqual(expect.stringMatching(new RegExp(`^refused client CSR ${old!.name} .*max-age`)));
    expect(stateOf(c.sim, fresh!.name)).toBe('approved');
    expect(stateOf(c.sim, old!.name)).toBe('denied');
    expect(result.outputs!.superseded).toEqual([old!.name]);
    // worker-1 is not in this step's inventory: its CSR stays a refusal, left pending.
    expect(result.outputs!.refused).toEqual([expect.objectContaining({ node: 'worker-1', check: 'inventory' })]);
    expect(clientCsrsOf(c, 'worker-1').map((x) => x.state)).toEqual(['pending']);
  });
});
