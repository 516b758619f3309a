// Approvals run concurrently with a bound: the step's real client (talking to the simulated API server) is wrapped
// only to count the approval writes in flight at once.

import { afterEach, describe, expect, it } from 'vitest';
import { steps } from '../../../src/steps/csr/index.js';
import type { ApproveOutputs } from '../../../src/steps/csr/approver.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import { startCluster, runStep, type Cluster } from './harness.js';
import { BOOTSTRAPPER, approvalCounts, approvalRequests, injectCsr } from './inject.js';

const approveClient = steps.find((s) => s.type === 'approve-client-csrs')!;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

/** The same client, with its approval/denial writes counted while in flight. */
function countInFlight(meter: { inFlight: number; peak: number; calls: number }) {
  return (kube: KubeClient): KubeClient =>
    new Proxy(kube, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property !== 'setCsrCondition') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<KubeClient['setCsrCondition']>) => {
          meter.calls++;
          meter.peak = Math.max(meter.peak, ++meter.inFlight);
          try {
            return await target.setCsrCondition(...args);
          } finally {
            meter.inFlight--;
          }
        };
      },
    });
}

describe('approve-client-csrs concurrency', { timeout: 60_000 }, () => {
  it('approves 40 pending CSRs with at most `concurrency` approvals in flight, several at once', async () => {
    cluster = await startCluster({ name: 'csr-concurrency', timeScale: 60, machines: [] });
    const nodes = Array.from({ length: 40 }, (_, i) => `worker-${i}`);
    for (const node of nodes) await injectCsr(cluster.sim, { as: BOOTSTRAPPER, commonName: `system:node:${node}` });
    const meter = { inFlight: 0, peak: 0, calls: 0 };
    const result = await runStep<ApproveOutputs>(approveClient, { nodes, concurrency: 4 }, cluster, { wrapKube: countInFlight(meter) });
    expect(result.error).toBeUndefined();
    expect(result.outputs!.approved).toHaveLength(40);
    expect(meter.calls).toBe(40);
    expect(meter.peak).toBeLessThanOrEqual(4);
    expect(meter.peak).toBeGreaterThan(1);
    // Really written on the server, each exactly once.
    expect(approvalRequests(cluster.sim)).toBe(40);
    expect([...approvalCounts(cluster.sim).values()]).toEqual(nodes.map(() => 1));
  });
});
