// A serving CSR can arrive before its Node registers (or reports its addresses): its SANs are not verifiable yet.
// The step shows it as waiting, not refused, and approves it once the Node confirms the SANs; only a timeout turns it
// into a refusal. Genuine failures are still refused at once, and nothing unverified is ever approved.

import { afterEach, describe, expect, it } from 'vitest';
import { steps } from '../../../src/steps/csr/index.js';
import type { ApproveOutputs } from '../../../src/steps/csr/approver.js';
import { buildNode } from '../../../src/sim/actors/objects.js';
import type { Simulation } from '../../../src/sim/index.js';
import { startCluster, runStep, planStep, worker, type Cluster } from './harness.js';
import { asNode, conditionsOf, injectCsr, servingRequest, stateOf } from './inject.js';

const approveServer = steps.find((s) => s.type === 'approve-server-csrs')!;
const addresses = [
  { type: 'InternalIP' as const, address: '10.0.1.12' },
  { type: 'Hostname' as const, address: 'worker-2' },
];

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

// worker-2 is in the step's inventory (name only, no addresses) but has no Machine in the scenario: only the test
// registers its Node.
async function start() {
  cluster = await startCluster({ name: 'unregistered-node', timeScale: 60, machines: [worker('worker-0', '10.0.1.10')] });
  return cluster;
}

function registerNode(sim: Simulation, withAddresses: boolean) {
  const node = buildNode({ name: 'worker-2', roles: ['worker'], labels: {}, addresses: withAddresses ? addresses : [], ready: false, kubeletVersion: 'v1.27.6' }, sim.clock.now());
  return sim.access.as(asNode('worker-2')).create('nodes', node);
}

/** Sleeps on the simulated clock until `predicate` holds (the step keeps running meanwhile). */
async function until(sim: Simulation, predicate: () => boolean) {
  for (let i = 0; i < 600 && !predicate(); i++) await sim.clock.sleep(1000);
  expect(predicate()).toBe(true);
}

const waitsForNode = /worker-2: serving CSR waits for its Node to register/;

describe('approve-server-csrs: serving CSRs of a node that has not registered yet', { timeout: 60_000 }, () => {
  it('waits (no refusal) until the Node registers, then approves the CSR whose SANs it confirms; genuine failures are refused at once', async () => {
    const c = await start();
    const valid = await injectCsr(c.sim, servingRequest('worker-2', asNode('worker-2'), { dnsNames: ['worker-2'], ipAddresses: ['10.0.1.12'] }));
    const contradicted = await injectCsr(c.sim, servingRequest('worker-2', asNode('worker-2'), { dnsNames: ['worker-2'], ipAddresses: ['10.0.1.99'] }));
    const badUsages = await injectCsr(c.sim, servingRequest('worker-2', asNode('worker-2'), { dnsNames: ['worker-2'], usages: ['digital signature', 'client auth'] }));
    const progress: string[] = [];
    const logs: string[] = [];
    const running = runStep<ApproveOutputs>(approveServer, { nodes: ['worker-2'], deny: true }, c, { progress, logs });

    await until(c.sim, () => progress.some((line) => waitsForNode.test(line)));
    // While the Node is missing: the bad-usages CSR is refused (and denied), the other two only wait.
    expect(logs).toEqual([expect.stringMatching(new RegExp(`^refused serving CSR ${badUsages} .*usages`))]);
    expect(progress.at(-1)).toBe('serving CSRs approved for 0/1 nodes (waiting for worker-2); 1 refused; worker-2: serving CSR waits for its Node to register');
    expect([stateOf(c.sim, valid), stateOf(c.sim, contradicted), stateOf(c.sim, badUsages)]).toEqual(['pending', 'pending', 'denied']);

    await registerNode(c.sim, true);
    const result = await running;
    expect(result.error).toBeUndefined();
    expect(result.outputs!.approved).toEqual([valid]);
    // Once the Node's addresses are known, 10.0.1.99 contradicts them: refused (and denied) like any rogue.
    expect(Object.fromEntries(result.outputs!.refused.map((r) => [r.csr, r.check]))).toEqual({ [badUsages]: 'usages', [contradicted]: 'ip-identity' });
    expect(result.outputs!.refused.find((r) => r.csr === contradicted)!.reason).toMatch(/^IP SAN 10.0.1.99 is not an address of node worker-2 \(per inventory \+ Node status.addresses\)$/);
    expect(stateOf(c.sim, contradicted)).toBe('denied');
    // Nothing ever reported the valid CSR as refused: not the log, not the table.
    expect(result.logs.filter((line) => line.includes(valid))).toEqual([]);
    expect(result.reports.flatMap((t) => t.rows.map((r) => r[0])).sort()).toEqual([badUsages, contradicted].sort());
    expect(conditionsOf(c.sim, valid)).toEqual([expect.objectContaining({ type: 'Approved' })]);
  });

  it('waits for a registered Node that has no addresses yet, then approves once they appear', async () => {
    const c = await start();
    await registerNode(c.sim, false);
    const csr = await injectCsr(c.sim, servingRequest('worker-2', asNode('worker-2'), { dnsNames: ['worker-2'], ipAddresses: ['10.0.1.12'] }));
    const progress: string[] = [];
    const running = runStep<ApproveOutputs>(approveServer, { nodes: ['worker-2'], deny: true }, c, { progress });
    await until(c.sim, () => progress.some((line) => /worker-2: serving CSR waits for its Node to report its addresses/.test(line)));
    expect(stateOf(c.sim, csr)).toBe('pending');
    await c.sim.access.as(asNode('worker-2')).updateStatus('nodes', undefined, 'worker-2', (node) => {
      (node as unknown as { status: { addresses: unknown } }).status.addresses = addresses;
    });
    const result = await running;
    expect(result.error).toBeUndefined();
    expect(result.outputs!.approved).toEqual([csr]);
    expect(result.outputs!.refused).toEqual([]);
    expect(result.logs).toEqual([]);
    expect(result.reports).toEqual([]);
  });

  it('plan shows such a CSR as waiting, not refused', async () => {
    const c = await start();
    const csr = await injectCsr(c.sim, servingRequest('worker-2', asNode('worker-2'), { dnsNames: ['worker-2'], ipAddresses: ['10.0.1.12'] }));
    const preview = await planStep(approveServer, { nodes: ['worker-2'] }, c);
    expect(preview.summary).toBe('would approve 0 serving CSR(s), refuse 0, wait to verify 1 (node identity not known yet); still waiting for worker-2');
    expect(preview.tables![0]!.rows).toEqual([[csr, 'worker-2', 'system:node:worker-2', 'wait for its Node to register', expect.stringMatching(/^dns-identity: /)]]);
  });

  it('on timeout, a CSR still unverifiable is refused with the reason, left pending (never approved nor denied)', async () => {
    const c = await start();
    const csr = await injectCsr(c.sim, servingRequest('worker-2', asNode('worker-2'), { dnsNames: ['worker-2'], ipAddresses: ['10.0.1.12'] }));
    const logs: string[] = [];
    const progress: string[] = [];
    const running = runStep<ApproveOutputs>(approveServer, { nodes: ['worker-2'], deny: true }, c, { timeoutMs: 120_000, logs, progress });
    await until(c.sim, () => progress.some((line) => waitsForNode.test(line)));
    expect(logs).toEqual([]);
    const result = await running;
    expect(result.error?.errorClass).toBe('timeout');
    const why = 'DNS SAN worker-2 is not among the hostnames known so far for node worker-2 (per inventory; Node not registered yet): unverifiable, the step timed out waiting for its Node to register';
    expect(result.error?.message).toBe(`no approved serving CSR for worker-2; refused for them: ${csr} (worker-2): ${why}`);
    expect(result.error?.details).toMatchObject({ refused: [{ csr, node: 'worker-2', check: 'dns-identity', reason: why, denied: false }] });
    expect(result.reports).toHaveLength(1);
    expect(result.reports[0]!.rows).toEqual([[csr, 'worker-2', 'system:node:worker-2', `dns-identity: ${why}`]]);
    expect(result.logs).toEqual([`refused serving CSR ${csr} (node worker-2, requestor system:node:worker-2): dns-identity: ${why}`]);
    expect(stateOf(c.sim, csr)).toBe('pending');
  });
});
