// The behaviour every FleetStore backend must have, as one suite: test/store/fleets.test.ts (state directory) and
// test/store/kubernetes-fleets.test.ts (a namespace) run it with a harness that makes a fresh, empty store.

import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { FleetRecord, FleetStore, RunClaim } from '../../src/store/index.js';
import { withHarness } from './contract.js';

export interface FleetStoreHarness {
  store: FleetStore;
  cleanup(): void | Promise<void>;
}

export const fleetRecord = (fleetId: string, status: FleetRecord['status'] = 'running', clusters = 1): FleetRecord => ({
  fleetId,
  fleet: { name: 'prod', file: '/fleets/prod.yaml' },
  runbook: { path: '/r.yaml', name: 'r' },
  strategy: { maxParallel: 2, maxFailures: 0, pause: { kind: 'none' } },
  status,
  startedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:01.000Z',
  passedGates: [],
  clusters: Array.from({ length: clusters }, (_, i) => ({
    name: `c${i}`,
    wave: 1,
    connection: { kind: 'kubeconfig' as const, kubeconfig: `/kube/c${i}`, context: `c${i}` },
    labels: { env: 'prod' },
    inputs: { workers: 2, nested: { a: [1, 'ü'] } },
    status: 'pending' as const,
  })),
});

const A = 'fleet-20260101-000000-000-aaaaaa';
const B = 'fleet-20260102-000000-000-bbbbbb';

export function describeFleetStoreContract(name: string, makeHarness: () => Promise<FleetStoreHarness>): void {
  describe(`FleetStore contract: ${name}`, () => {
    const withStore = withHarness(makeHarness);

    it('starts empty', withStore(async ({ store }) => {
      expect(await store.listFleets()).toEqual([]);
      expect(await store.readFleet(A)).toBeUndefined();
      expect(await store.isFleetActive(A)).toBe(false);
    }));

    it('replaces whole records and reads back exactly the last one written; lists fleet ids newest first', withStore(async ({ store }) => {
      await store.writeFleet(fleetRecord(A));
      await store.writeFleet(fleetRecord(B));
      const last = { ...fleetRecord(A, 'failed', 3), reason: 'failure budget exceeded', passedGates: ['wave-1'] };
      last.clusters[1] = { ...last.clusters[1]!, status: 'failed', runId: '20260101-000001-000-cccccc', failedStep: 'approve', error: 'boom', durationMs: 12 };
      await store.writeFleet(last);
      expect(await store.readFleet(A)).toEqual(last);
      expect(await store.readFleet(B)).toEqual(fleetRecord(B));
      expect(await store.listFleets()).toEqual([B, A]);
    }));

    it('reads nothing for an id that is not a fleet id', withStore(async ({ store }) => {
      await store.writeFleet(fleetRecord(A));
      expect(await store.readFleet(`../fleets/${A}`)).toBeUndefined();
      expect(await store.readFleet('20260101-000000-000-aaaaaa')).toBeUndefined();
      expect(await store.isFleetActive('nope')).toBe(false);
    }));

    it('gives a fleet run to exactly one of several concurrent claimants, and to the next one after release', withStore(async ({ store }) => {
      const results = await Promise.allSettled([store.claimFleet(A), store.claimFleet(A), store.claimFleet(A)]);
      const won = results.filter((r): r is PromiseFulfilledResult<RunClaim> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(2);
      for (const l of lost) {
        expect(l.reason).toBeInstanceOf(UsageError);
        expect((l.reason as Error).message).toContain(`fleet run ${A} `);
        expect((l.reason as Error).message).toContain(`pid ${process.pid} on host `);
      }
      expect(won[0]!.value.owner.pid).toBe(process.pid);
      expect(await store.isFleetActive(A)).toBe(true);
      expect(await store.isFleetActive(B)).toBe(false);
      await won[0]!.value.release();
      await won[0]!.value.release(); // idempotent
      expect(await store.isFleetActive(A)).toBe(false);
      const again = await store.claimFleet(A);
      await again.release();
      // A claim is no record: the fleet run is not listed.
      expect(await store.listFleets()).toEqual([]);
    }));
  });
}
