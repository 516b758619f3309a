// The bench/csr scenario in miniature and in full: 1,000 machines join at once, an in-process approver approves
// every CSR the moment it appears, and every node ends Ready — with store work linear in the number of writes.

import { afterEach, describe, expect, it } from 'vitest';
import type { ScenarioInput, Simulation } from '../../src/sim/index.js';
import { eventually, startSim } from './helpers.js';
import type { Json } from '../../src/sim/json.js';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});


function machines(count: number): NonNullable<ScenarioInput['machines']> {
  return Array.from({ length: count }, (_, i) => {
    const name = `worker-${String(i).padStart(4, '0')}`;
    return {
      name,
      joinAt: '0s',
      addresses: [
        { type: 'InternalIP' as const, address: `10.1.${Math.floor(i / 256)}.${i % 256}` },
        { type: 'Hostname' as const, address: name },
      ],
    };
  });
}

/** Approves every CSR without conditions as soon as it is stored (the instant approver bench/csr stands for). */
function startInstantApprover(s: Simulation): () => void {
  const seen = new Set<string>();
  const approve = (csr: Json): void => {
    const name = csr.metadata.name as string;
    if (csr.status?.conditions || seen.has(name)) return;
    seen.add(name);
    queueMicrotask(() => {
      const fresh = s.access.get('certificatesigningrequests', undefined, name)!;
      fresh.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'instant approver' }] };
      void s.access.update('certificatesigningrequests', fresh, 'approval');
    });
  };
  const stop = s.access.subscribe('certificatesigningrequests', (event) => {
    if (event.type === 'ADDED') approve(event.stored.object);
  });
  for (const csr of s.access.list('certificatesigningrequests')) approve(csr);
  return stop;
}

async function runToReady(count: number): Promise<{ s: Simulation; writes: number; deliveries: number }> {
  sim = await startSim({ flavour: 'openshift', machines: machines(count), kubelet: { readyDelay: '0s' } });
  const s = sim;
  const stopApprover = startInstantApprover(s);
  await eventually(() => s.summary().nodes.filter((n) => n.status === 'Ready').length === count + 3, 150_000);
  stopApprover();
  const store = s.access.core.store;
  return { s, writes: store.resourceVersion, deliveries: store.deliveries };
}

describe('scale', () => {
  it('takes 1,000 machines with no delays from join to Ready with an instant approver', { timeout: 180_000 }, async () => {
    const { s, writes, deliveries } = await runToReady(1000);
    const summary = s.summary();
    expect(summary.errors).toEqual([]);
    expect(summary.csrs).toMatchObject({ approved: 2000, issued: 2000, pending: 0, denied: 0 });
    expect(summary.kubelets.every((k) => k.phase === 'ready' && k.clientCsrs.length === 1 && k.servingCsrs.length === 1)).toBe(true);
    // One shared CSR subscription: each write reaches a handful of listeners (signer, kubelets' dispatcher, approver),
    // not one per kubelet (which was ~1,000 per CSR event).
    expect(deliveries / writes).toBeLessThan(5);
  });

  it('does store work proportional to the machines (100 vs 400)', { timeout: 120_000 }, async () => {
    const small = await runToReady(100);
    const smallRatio = small.deliveries / small.writes;
    await sim!.stop();
    sim = undefined;
    const large = await runToReady(400);
    const largeRatio = large.deliveries / large.writes;
    // Writes grow linearly with machines, and deliveries per write stay flat (quadratic fan-out would grow 4×).
    expect(large.writes / small.writes).toBeLessThan(4.5);
    expect(largeRatio).toBeLessThan(smallRatio * 1.5);
  });
});
