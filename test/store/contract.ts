// The behaviour every RunStore backend must have, as one suite: test/store/<backend>.test.ts runs it with a harness
// that makes a fresh, empty store (and knows how to tear the backend's last journal record, as power loss would).

import { describe, expect, it } from 'vitest';
import { JOURNAL_VERSION } from '../../src/engine/journal/format.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { UsageError } from '../../src/errors.js';
import type { RunMetadata, RunStore } from '../../src/store/index.js';

export interface StoreHarness {
  store: RunStore;
  /** Leaves the first bytes of a record at the end of the run's journal, with no end (a write cut by power loss). */
  tearTail(runId: string, partial: string): Promise<void>;
  cleanup(): void | Promise<void>;
}

const RUN = '20260101-000000-000-aaaaaa';
const TIME = '2026-01-01T00:00:00.000Z';

function start(runId = RUN): EngineEvent {
  return {
    type: 'run-start', time: TIME, runId, journalVersion: JOURNAL_VERSION,
    runbook: { path: '/r.yaml', name: 'r', sha256: 'a'.repeat(64) }, inputs: { region: 'eu' }, steps: [{ id: 'a', name: 'a', type: 'echo', needs: [] }],
  };
}
const stepStart = (stepId: string): EngineEvent => ({ type: 'step-start', time: TIME, runId: RUN, stepId });
const end: EngineEvent = { type: 'run-end', time: TIME, runId: RUN, status: 'succeeded', durationMs: 5 };

async function write(store: RunStore, runId: string, events: EngineEvent[], resume = false): Promise<void> {
  const journal = await store.openJournal(runId, { resume });
  for (const event of events) journal.append(event);
  await journal.close();
}

/** A test body run with a fresh harness from `make`, cleaned up however the body ends (both contract suites use it). */
export function withHarness<H extends { cleanup(): void | Promise<void> }>(make: () => Promise<H>) {
  return (test: (harness: H) => Promise<void>) => async () => {
    const harness = await make();
    try {
      await test(harness);
    } finally {
      await harness.cleanup();
    }
  };
}

export function describeStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`RunStore contract: ${name}`, () => {
    const withStore = withHarness(makeHarness);

    it('starts empty', withStore(async ({ store }) => {
      expect(await store.list()).toEqual([]);
      expect(await store.has(RUN)).toBe(false);
      expect(await store.readMetadata(RUN)).toBeUndefined();
      expect(await store.readOwner(RUN)).toBeUndefined();
      expect(await store.isActive(RUN)).toBe(false);
    }));

    it('reads back exactly the appended events, in order; locate names the run', withStore(async ({ store }) => {
      await write(store, RUN, [start(), stepStart('a'), end]);
      expect(await store.has(RUN)).toBe(true);
      expect(await store.read(RUN)).toEqual({ events: [start(), stepStart('a'), end], tornTail: false });
      expect(store.locate(RUN)).toContain(RUN);
    }));

    it('appends to an existing journal when the run is resumed', withStore(async ({ store }) => {
      await write(store, RUN, [start(), stepStart('a')]);
      await write(store, RUN, [start(), end], true);
      expect((await store.read(RUN)).events.map((e) => e.type)).toEqual(['run-start', 'step-start', 'run-start', 'run-end']);
    }));

    it('drops a torn last record on read, and cuts it before a resumed run appends', withStore(async ({ store, tearTail }) => {
      await write(store, RUN, [start(), stepStart('a')]);
      await tearTail(RUN, '{"type":"step-end","runId":"');
      expect(await store.read(RUN)).toEqual({ events: [start(), stepStart('a')], tornTail: true });
      await write(store, RUN, [stepStart('b'), end], true);
      expect(await store.read(RUN)).toEqual({ events: [start(), stepStart('a'), stepStart('b'), end], tornTail: false });
    }));

    it('lists its runs newest first', withStore(async ({ store }) => {
      const ids = ['20260101-000000-000-aaaaaa', '20260102-000000-000-bbbbbb', '20260101-120000-000-cccccc'];
      for (const id of ids) await write(store, id, [start(id)]);
      expect(await store.list()).toEqual([ids[1], ids[2], ids[0]]);
    }));

    it('round-trips metadata', withStore(async ({ store }) => {
      const metadata: RunMetadata = {
        runId: RUN, runbook: { path: '/r.yaml', name: 'r', sha256: 'b'.repeat(64) }, inputs: { region: 'eu', count: 3, nested: { a: [1] } },
        secretInputs: ['token'], startedAt: TIME,
      };
      await write(store, RUN, [start()]);
      await store.writeMetadata(metadata);
      expect(await store.readMetadata(RUN)).toEqual(metadata);
    }));

    it('gives a run to exactly one of several concurrent claimants, and to the next one after release', withStore(async ({ store }) => {
      const results = await Promise.allSettled([store.claim(RUN), store.claim(RUN), store.claim(RUN)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(2);
      for (const l of lost) expect(l.reason).toBeInstanceOf(UsageError);
      const claim = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<RunStore['claim']>>>).value;
      expect(claim.owner.pid).toBe(process.pid);
      expect(await store.readOwner(RUN)).toEqual(claim.owner);
      expect(await store.isActive(RUN)).toBe(true);
      await claim.release();
      await claim.release(); // idempotent
      expect(await store.isActive(RUN)).toBe(false);
      const again = await store.claim(RUN);
      await again.release();
    }));
  });
}
