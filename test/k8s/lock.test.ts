// The cluster lock on a real Lease in the simulated API server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { acquireLock, isLeaseExpired } from '../../src/k8s/lock.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { createScaledClock, systemClock, VirtualClock } from '../../src/time/clock.js';
import { startTestCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

const holder = (runId: string) => ({ runId, user: `user-${runId}`, host: `host-${runId}` });
const leaseRef = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace: 'kube-system' });

describe('acquireLock', () => {
  it('lets exactly one of two concurrent runs in and names the holder to the other', async () => {
    const { kube } = cluster;
    const other = await cluster.connect();
    const results = await Promise.allSettled([
      acquireLock({ kube, name: 'race', ttlMs: 60_000, holder: holder('run-a'), clock: systemClock }),
      acquireLock({ kube: other, name: 'race', ttlMs: 60_000, holder: holder('run-b'), clock: systemClock }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const error = lost[0]!.reason as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toMatch(/^lock kube-system\/race is held by run run-[ab] \(user user-run-[ab] on host host-run-[ab]\) since \d{4}-\d\d-\d\dT/);
    expect(error.message).toMatch(/--break-lock/);
    const lease = (await kube.get(leaseRef('race'))) as KubeObject & { spec: { holderIdentity: string; leaseDurationSeconds: number } };
    expect(lease.spec.leaseDurationSeconds).toBe(60);
    expect(lease.metadata.annotations?.['opsbook.dev/run-id']).toMatch(/^run-[ab]$/);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
  });

  it('frees the lease on release so the next run gets it at once', async () => {
    const { kube } = cluster;
    const first = await acquireLock({ kube, name: 'release', ttlMs: 60_000, holder: holder('first'), clock: systemClock });
    await first.release();
    await first.release(); // idempotent
    const lease = (await kube.get(leaseRef('release'))) as KubeObject & { spec: { holderIdentity?: string } };
    expect(lease.spec.holderIdentity).toBeUndefined();
    const second = await acquireLock({ kube, name: 'release', ttlMs: 60_000, holder: holder('second'), clock: systemClock });
    expect(second.previousHolder).toBeUndefined();
    await second.release();
  });

  it('takes over a lease whose holder stopped renewing (crashed)', async () => {
    const { kube } = cluster;
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString().replace('Z', '000Z');
    await kube.create({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { name: 'crashed', namespace: 'kube-system', annotations: { 'opsbook.dev/run-id': 'dead-run', 'opsbook.dev/user': 'ghost', 'opsbook.dev/host': 'gone' } },
      spec: { holderIdentity: 'ghost@gone/dead-run', leaseDurationSeconds: 60, acquireTime: hourAgo, renewTime: hourAgo },
    });
    const handle = await acquireLock({ kube, name: 'crashed', ttlMs: 60_000, holder: holder('alive'), clock: systemClock });
    expect(handle.previousHolder).toMatchObject({ runId: 'dead-run', user: 'ghost', host: 'gone' });
    const lease = (await kube.get(leaseRef('crashed'))) as KubeObject & { spec: { holderIdentity: string; leaseTransitions: number } };
    expect(lease.spec.holderIdentity).toBe('user-alive@host-alive/alive');
    expect(lease.spec.leaseTransitions).toBe(1);
    await handle.release();
  });

  it('renews in the background, and a run whose lease is broken learns it has lost it', async () => {
    const { kube } = cluster;
    const clock = new VirtualClock({ start: Date.now(), autoAdvance: false });
    const a = await acquireLock({ kube, name: 'broken', ttlMs: 30_000, holder: holder('a'), clock });
    const renewed = async () => ((await kube.get(leaseRef('broken'))) as KubeObject & { spec: { renewTime: string } }).spec.renewTime;
    const firstRenew = await renewed();
    await clock.advance(10_000);
    await waitUntil(async () => (await renewed()) !== firstRenew);

    const refused = await acquireLock({ kube, name: 'broken', ttlMs: 30_000, holder: holder('b'), clock: systemClock }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/held by run a \(user user-a on host host-a\)/);
    const b = await acquireLock({ kube, name: 'broken', ttlMs: 30_000, holder: holder('b'), clock: systemClock, breakLock: true });
    expect(b.previousHolder?.runId).toBe('a');
    expect(a.lost.aborted).toBe(false);
    await clock.advance(10_000); // a's next renewal hits a 409, re-reads, sees b
    await waitUntil(async () => a.lost.aborted);
    expect((a.lost.reason as Error).message).toMatch(/lost lock kube-system\/broken: taken over by run b/);
    await a.release(); // must not free b's lease
    const lease = (await kube.get(leaseRef('broken'))) as KubeObject & { spec: { holderIdentity: string } };
    expect(lease.spec.holderIdentity).toBe('user-b@host-b/b');
    await b.release();
  });
});

describe('acquireLock and leases it does not own', () => {
  it('never takes over a Lease opsbook did not create, not even with breakLock', async () => {
    const { kube } = cluster;
    const longAgo = new Date(Date.now() - 3_600_000).toISOString().replace('Z', '000Z');
    await kube.create({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { name: 'kube-scheduler-like', namespace: 'kube-system' },
      spec: { holderIdentity: 'master-0_1234', leaseDurationSeconds: 15, acquireTime: longAgo, renewTime: longAgo },
    });
    for (const breakLock of [false, true]) {
      const error = (await acquireLock({ kube, name: 'kube-scheduler-like', ttlMs: 60_000, holder: holder('x'), clock: systemClock, breakLock })
        .catch((e: unknown) => e)) as StepError;
      expect(error.errorClass).toBe('permanent');
      expect(error.message).toMatch(/exists but is not an opsbook lock \(holder master-0_1234\)/);
    }
  });
});

describe('acquireLock on a flaky API server', () => {
  it('retries transient errors (re-reading each time) and gives up with a transient error when they persist', async () => {
    const flaky = await startTestCluster({ faults: { seed: 7, errors: [{ verbs: ['get', 'create'], resources: ['leases'], rate: 0.5, code: 503 }] } });
    const dead = await startTestCluster({ faults: { seed: 1, errors: [{ verbs: ['get'], resources: ['leases'], rate: 1, code: 503 }] } });
    try {
      const clock = createScaledClock(100);
      const handle = await acquireLock({ kube: flaky.kube, name: 'flaky', ttlMs: 60_000, holder: holder('f'), clock });
      expect(flaky.sim.faults()).not.toEqual({});
      await handle.release();
      const error = (await acquireLock({ kube: dead.kube, name: 'dead', ttlMs: 60_000, holder: holder('d'), clock }).catch((e: unknown) => e)) as StepError;
      expect(error.errorClass).toBe('transient');
      expect(dead.counters()['get leases']).toBe(5); // the first try and four retries
    } finally {
      await flaky.stop();
      await dead.stop();
    }
  });
});

describe('isLeaseExpired', () => {
  it('compares renewTime + duration with now; a lease without holder is free', () => {
    const lease = (renewTime: string, holderIdentity?: string) => ({ metadata: {}, spec: { holderIdentity, renewTime, leaseDurationSeconds: 10 } });
    const now = Date.parse('2026-01-01T00:00:30Z');
    expect(isLeaseExpired(lease('2026-01-01T00:00:25.000000Z', 'x'), now)).toBe(false);
    expect(isLeaseExpired(lease('2026-01-01T00:00:15.000000Z', 'x'), now)).toBe(true);
    expect(isLeaseExpired(lease('2026-01-01T00:00:29.000000Z'), now)).toBe(true);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
