// "No Node of that name exists yet (unless allowExistingNode: true)", wired for real: the step reads Nodes from the
// simulated cluster, exempts rotation duplicates of a node this run registered, and refuses anything created after.

import { afterEach, describe, expect, it } from 'vitest';
import { steps } from '../../../src/steps/csr/index.js';
import type { ApproveOutputs } from '../../../src/steps/csr/approver.js';
import type { RefusedOutput } from '../../../src/steps/csr/report.js';
import type { Simulation } from '../../../src/sim/index.js';
import { startCluster, runStep, worker, type Cluster } from './harness.js';
import { BOOTSTRAPPER, injectCsr, stateOf } from './inject.js';

const approveClient = steps.find((s) => s.type === 'approve-client-csrs')!;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function start(machines = [worker('worker-0', '10.0.1.10')]) {
  cluster = await startCluster({ name: 'existing-node', timeScale: 60, nodes: [{ name: 'master-0', roles: ['master'] }], machines });
  return cluster;
}

/** Sleeps on the simulated clock until `predicate` holds (a running step keeps going meanwhile). */
async function until(sim: Simulation, predicate: () => boolean) {
  for (let i = 0; i < 600 && !predicate(); i++) await sim.clock.sleep(1000);
  expect(predicate()).toBe(true);
}

const nodeCreatedAt = (sim: Simulation, name: string) => {
  const node = sim.access.get('nodes', undefined, name) as { metadata: { creationTimestamp: string } } | undefined;
  return node ? Date.parse(node.metadata.creationTimestamp) : undefined;
};

describe('approve-client-csrs and existing Nodes', { timeout: 60_000 }, () => {
  it('refuses a bootstrapper client CSR for an existing Node (master-0) with existing-node and leaves it pending', async () => {
    const c = await start([]);
    const takeover = await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:master-0' });
    const result = await runStep<ApproveOutputs>(approveClient, { nodes: ['master-0'] }, c, { timeoutMs: 60_000 });
    expect(result.error?.errorClass).toBe('timeout');
    const refused = (result.error?.details as { refused: RefusedOutput[] }).refused;
    expect(refused).toEqual([
      expect.objectContaining({ csr: takeover, node: 'master-0', check: 'existing-node', reason: expect.stringMatching(/^Node master-0 already exists/), denied: false }),
    ]);
    expect(result.reports[0]!.rows).toEqual([[takeover, 'master-0', BOOTSTRAPPER.username, expect.stringMatching(/^existing-node: /)]]);
    expect(stateOf(c.sim, takeover)).toBe('pending');
  });

  it('approves it with allowExistingNode: true', async () => {
    const c = await start([]);
    const rejoin = await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:master-0' });
    const result = await runStep<ApproveOutputs>(approveClient, { nodes: ['master-0'], allowExistingNode: true }, c);
    expect(result.error).toBeUndefined();
    expect(result.outputs!.approved).toEqual([rejoin]);
    expect(result.outputs!.refused).toEqual([]);
    expect(stateOf(c.sim, rejoin)).toBe('approved');
  });

  it('after its own approval registers a Node, approves a duplicate created before registration and refuses one created after', async () => {
    // worker-1 joins later, so the step is still running when worker-0 has registered.
    const c = await start([worker('worker-0', '10.0.1.10'), worker('worker-1', '10.0.1.11', { joinAt: '5m' })]);
    const running = runStep<ApproveOutputs>(approveClient, { nodes: ['worker-0', 'worker-1'] }, c);
    await until(c.sim, () => nodeCreatedAt(c.sim, 'worker-0') !== undefined);
    const registeredAt = nodeCreatedAt(c.sim, 'worker-0')!;
    // A rotation duplicate posted before the Node registered (its event seen only now), and a CSR posted after.
    const duplicate = await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:worker-0', createdAt: registeredAt - 1000 });
    const after = await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:worker-0' });
    const result = await running;
    expect(result.error).toBeUndefined();
    expect(result.outputs!.nodes['worker-0']).toContain(duplicate);
    expect(stateOf(c.sim, duplicate)).toBe('approved');
    expect(result.outputs!.refused).toEqual([expect.objectContaining({ csr: after, node: 'worker-0', check: 'existing-node' })]);
    expect(stateOf(c.sim, after)).toBe('pending');
  });
});
