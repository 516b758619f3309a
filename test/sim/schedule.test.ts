// Actor steps retried on the simulated clock: a failing API call delays a kubelet instead of ending it.

import { describe, expect, it } from 'vitest';
import { retrying, type Scheduler } from '../../src/sim/actors/schedule.js';
import { VirtualClock } from '../../src/time/clock.js';
import { eventually, startSim } from './helpers.js';

function scheduler(): { s: Scheduler; reports: string[]; stop: AbortController } {
  const reports: string[] = [];
  const stop = new AbortController();
  const clock = new VirtualClock();
  return { s: { clock, startedAt: clock.now(), signal: stop.signal, report: (e, where) => reports.push(`${where}: ${(e as Error).message}`) }, reports, stop };
}

describe('retrying', () => {
  it('retries a failing step after the delay on the simulated clock and reports each failure', async () => {
    const { s, reports } = scheduler();
    let calls = 0;
    const started = s.clock.now();
    const result = await retrying(s, 'kubelet w: post CSR', async () => {
      if (++calls < 3) throw new Error('boom');
      return 'ok';
    });
    expect(result).toEqual({ value: 'ok' });
    expect(reports).toEqual(['kubelet w: post CSR (attempt 1, retrying): boom', 'kubelet w: post CSR (attempt 2, retrying): boom']);
    expect(s.clock.now() - started).toBe(20_000);
  });

  it('gives up after its attempts, and stops with the simulation', async () => {
    const { s, reports, stop } = scheduler();
    expect(await retrying(s, 'x', () => Promise.reject(new Error('no')))).toBeUndefined();
    expect(reports.at(-1)).toBe('x (attempt 20, giving up): no');
    stop.abort();
    expect(await retrying(s, 'y', () => Promise.reject(new Error('no')))).toBeUndefined();
  });
});

describe('kubelet registration', () => {
  it('carries on when its Node already exists (a restarted kubelet)', async () => {
    const sim = await startSim({ machines: [{ name: 'worker-0', joinAt: '1m' }], kubelet: { readyDelay: '0s' } }, { timeScale: 600 });
    try {
      await sim.access.create('nodes', { metadata: { name: 'worker-0' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } });
      const approveAll = () => {
        for (const csr of sim.access.list('certificatesigningrequests')) {
          if (csr.status && (csr.status as { conditions?: unknown }).conditions) continue;
          const fresh = sim.access.get('certificatesigningrequests', undefined, csr.metadata.name)!;
          fresh.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'test' }] };
          void sim.access.update('certificatesigningrequests', fresh, 'approval');
        }
        return sim.summary().nodes.find((n) => n.name === 'worker-0')?.status === 'Ready';
      };
      await eventually(approveAll);
      expect(sim.summary().errors).toEqual([]);
      expect(sim.summary().kubelets[0]).toMatchObject({ phase: 'ready' });
    } finally {
      await sim.stop();
    }
  });
});
