import { afterEach, describe, expect, it } from 'vitest';
import { steps } from '../../../src/steps/csr/index.js';
import { writeCsrCondition } from '../../../src/steps/csr/conditions.js';
import { startCluster, runStep, planStep, worker, type Cluster } from './harness.js';
import { BOOTSTRAPPER, conditionsOf, injectCsr } from './inject.js';

const step = (type: string) => steps.find((s) => s.type === type)!;
const nodes = ['worker-0', 'worker-1'];

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function twoWorkers(late = false) {
  cluster = await startCluster({
    name: 'csr-waits',
    timeScale: 60,
    kubelet: { readyDelay: '0s' },
    machines: [worker('worker-0', '10.0.1.10'), worker('worker-1', '10.0.1.11', late ? { joinAt: '10h' } : {})],
  });
  return cluster;
}

describe('wait-for-pending', () => {
  it('outputs the pending CSRs per node', async () => {
    const c = await twoWorkers();
    const result = await runStep<{ csrs: Record<string, string[]>; nodes: string[] }>(step('wait-for-pending'), { nodes }, c);
    expect(result.outputs!.nodes).toEqual(nodes);
    expect(result.outputs!.csrs['worker-0']).toEqual([expect.stringMatching(/^csr-/)]);
  });

  it('fails on timeout listing the nodes that have no pending CSR', async () => {
    const c = await twoWorkers(true);
    const result = await runStep(step('wait-for-pending'), { nodes }, c, { timeoutMs: 60_000 });
    expect(result.error).toMatchObject({ errorClass: 'timeout', message: 'no pending client CSR for worker-1' });
    expect(result.progress.at(-1)).toBe('client CSRs pending for 1/2 nodes (waiting for worker-1)');
  });

  it('plan shows which nodes have a CSR now', async () => {
    const c = await twoWorkers(true);
    await runStep(step('wait-for-pending'), { nodes: ['worker-0'] }, c);
    const preview = await planStep(step('wait-for-pending'), { nodes }, c);
    expect(preview.summary).toBe('would wait for client CSRs of worker-1');
    expect(preview.tables![0]!.rows).toEqual([
      ['worker-0', expect.stringMatching(/^csr-/), 'pending'],
      ['worker-1', '-', 'none yet'],
    ]);
  });
});

describe('wait-node-ready', () => {
  it('reports "n/m Ready (…)" and fails on timeout with the node states', async () => {
    const c = await twoWorkers(true);
    await runStep(step('wait-for-pending'), { nodes: ['worker-0'] }, c);
    await runStep(step('approve-client-csrs'), { nodes: ['worker-0'] }, c);
    await runStep(step('wait-for-pending'), { nodes: ['worker-0'], kind: 'server' }, c);
    await runStep(step('approve-server-csrs'), { nodes: ['worker-0'] }, c);
    const result = await runStep(step('wait-node-ready'), { nodes }, c, { timeoutMs: 60_000 });
    expect(result.error).toMatchObject({ errorClass: 'timeout', message: 'nodes not Ready: 1/2 Ready (worker-1 Missing)' });
    expect(result.progress.at(-1)).toBe('1/2 Ready (worker-1 Missing)');
    const preview = await planStep(step('wait-node-ready'), { nodes }, c);
    expect(preview.summary).toBe('would wait: 1/2 Ready (worker-1 Missing)');
  });
});

describe('writing conditions', () => {
  it('re-reads on 409 and approves exactly once; a CSR someone else approved counts as done', async () => {
    const c = await twoWorkers();
    const name = await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:worker-0' });
    const ref = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', name };
    const stale = (await c.kube.get(ref))!;
    await c.kube.patch(ref, { metadata: { labels: { touched: 'yes' } } }, 'merge');
    const signal = new AbortController().signal;
    const condition = { type: 'Approved' as const, reason: 'OpsbookApprove', message: 'test' };
    expect((await writeCsrCondition(c.kube, stale, condition, signal)).outcome).toBe('written');
    expect(conditionsOf(c.sim, name).filter((x) => x.type === 'Approved')).toHaveLength(1);
    expect((await writeCsrCondition(c.kube, stale, condition, signal)).outcome).toBe('already-approved');
    expect(conditionsOf(c.sim, name).filter((x) => x.type === 'Approved')).toHaveLength(1);
  });
});
