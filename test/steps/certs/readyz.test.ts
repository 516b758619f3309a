import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForReadyz } from '../../../src/steps/certs/readyz.js';
import { startSimulation, type Simulation } from '../../../src/sim/index.js';
import { VirtualClock } from '../../../src/time/clock.js';

let sim: Simulation;
beforeAll(async () => {
  sim = await startSimulation({ scenario: { name: 'readyz', flavour: 'kubernetes' } });
});
afterAll(async () => sim?.stop());

const options = (extra: Partial<Parameters<typeof waitForReadyz>[1]>) => ({
  timeoutMs: 60_000,
  intervalMs: 5000,
  clock: new VirtualClock(),
  signal: new AbortController().signal,
  kube: () => Promise.reject(new Error('not used')),
  progress: () => {},
  ...extra,
});

describe('waitForReadyz over https', () => {
  it('answers when the server certificate chains to the given CA', async () => {
    const ready = await waitForReadyz('cp-1', options({ url: `${sim.url}/readyz`, caPem: sim.caPem }));
    expect(ready).toEqual({ probes: 1, waitedMs: 0 });
  });

  it('keeps probing (on the virtual clock) and times out when the certificate is not trusted', async () => {
    const clock = new VirtualClock();
    const error = await waitForReadyz('cp-1', options({ url: `${sim.url}/readyz`, caPem: undefined, clock, timeoutMs: 30_000 })).catch((e: unknown) => e as Error);
    expect(String(error)).toMatch(/did not answer \/readyz within 30s .*(self-signed|unable to verify|certificate)/);
    expect(clock.now() - Date.parse('2026-01-01T00:00:00Z')).toBe(30_000);
  });
});
