// The summary of an ended run kept with its metadata, on both stores: written when the run's record closes, forgotten
// before a resume appends, and `opsbook runs` (listRuns) gives from it exactly what a replay of the journal gives;
// runs without one (written before summaries, or never closed) are replayed.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { listRuns, summarizeRun } from '../../src/engine/index.js';
import { JOURNAL_VERSION } from '../../src/engine/journal/format.js';
import { openRunRecord } from '../../src/engine/journal/record.js';
import type { KubeObject } from '../../src/k8s/types.js';
import type { RunMetadata, RunStore } from '../../src/store/index.js';
import { createKubernetesStore, metadataName } from '../../src/store/kubernetes/index.js';
import { createLocalStore } from '../../src/store/local/index.js';
import { useTestCluster } from '../k8s/helpers.js';

const RUN = '20260101-000000-000-aaaaaa';
const runbook = { path: '/r.yaml', name: 'r', sha256: 'a'.repeat(64) };
const metadata: RunMetadata = { runId: RUN, runbook, inputs: { region: 'eu' }, secretInputs: ['token'], startedAt: '2026-01-01T00:00:00.000Z' };
const at = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;
const start = (second: number): EngineEvent => ({
  type: 'run-start', time: at(second), runId: RUN, journalVersion: JOURNAL_VERSION, runbook, inputs: { region: 'eu' }, steps: [{ id: 'a', name: 'a', type: 'echo', needs: [] }],
});
const stepEnd = (second: number, status: 'succeeded' | 'failed'): EngineEvent => ({ type: 'step-end', time: at(second), runId: RUN, stepId: 'a', status, attempts: 1, durationMs: 1 }) as EngineEvent;
const runEnd = (second: number, status: 'succeeded' | 'failed' | 'interrupted', error?: string): EngineEvent => ({
  type: 'run-end', time: at(second), runId: RUN, status, ...(error ? { error } : {}), durationMs: 1,
});

async function record(store: RunStore, events: EngineEvent[], resumed: boolean, close = true): Promise<void> {
  const opened = await openRunRecord(store, metadata, resumed);
  for (const event of events) opened.journal.append(event);
  if (close) await opened.close();
}

interface Harness {
  store: RunStore;
  cleanup(): Promise<void> | void;
}

const { cluster, freshNamespace } = useTestCluster('summary');
let lastNamespace = '';

const stores: [string, () => Promise<Harness>][] = [
  [
    'local',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'opsbook-summary-'));
      return { store: createLocalStore(join(dir, 'state')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'kubernetes',
    async () => {
      const namespace = (lastNamespace = await freshNamespace());
      return { store: createKubernetesStore({ kube: cluster.kube, namespace }), cleanup: () => undefined };
    },
  ],
];

describe.each(stores)('run summary (%s store)', { timeout: 60_000 }, (_name, make) => {
  it('an ended run is listed from its summary, as its replay lists it; without the summary it is replayed', async () => {
    const { store, cleanup } = await make();
    try {
      await record(store, [start(0), stepEnd(3, 'failed'), runEnd(5, 'failed', 'step a failed: exit 1')], false);
      const { runIds, summaries } = await store.readRunIndex!();
      expect(runIds).toEqual(await store.list());
      expect(summaries.get(RUN)).toEqual({ runbook, startedAt: at(0), lastTime: at(5), resumes: 0, status: 'failed', error: 'step a failed: exit 1' });
      const replayed = await summarizeRun(store, RUN);
      expect(replayed).toMatchObject({ status: 'failed', durationMs: 5000 });
      expect(await listRuns(store)).toEqual([replayed]);
      // The metadata resume reads is unchanged by the summary kept beside it.
      expect(await store.readMetadata(RUN)).toEqual(metadata);

      // Listing reads the summary, not the journal: a summary saying otherwise is what is shown.
      await store.writeSummary!(RUN, { ...summaries.get(RUN)!, status: 'succeeded' });
      expect((await listRuns(store))[0]).toMatchObject({ runId: RUN, status: 'succeeded' });

      // A run recorded before summaries existed is replayed.
      await store.writeSummary!(RUN, undefined);
      expect((await store.readRunIndex!()).summaries.size).toBe(0);
      expect(await listRuns(store)).toEqual([replayed]);
      expect(await store.readMetadata(RUN)).toEqual(metadata);
    } finally {
      await cleanup();
    }
  });

  it('a resume forgets the summary before it appends, and records the new one when it closes; an unclosed record leaves none', async () => {
    const { store, cleanup } = await make();
    try {
      await record(store, [start(0), runEnd(2, 'interrupted', 'interrupted by SIGINT')], false);
      expect((await store.readRunIndex!()).summaries.get(RUN)?.status).toBe('interrupted');

      const resumed = await openRunRecord(store, metadata, true);
      expect((await store.readRunIndex!()).summaries.has(RUN)).toBe(false);
      // Until the resume's own events land, `runs` replays what the journal holds.
      expect(await listRuns(store)).toEqual([await summarizeRun(store, RUN)]);
      for (const event of [start(10), stepEnd(11, 'succeeded'), runEnd(12, 'succeeded')]) resumed.journal.append(event);
      await resumed.close();
      expect((await store.readRunIndex!()).summaries.get(RUN)).toEqual({ runbook, startedAt: at(0), lastTime: at(12), resumes: 1, status: 'succeeded' });
      expect(await listRuns(store)).toEqual([await summarizeRun(store, RUN)]);

      // Killed mid-run (never closed): no summary, so `runs` replays it.
      await record(store, [start(20)], true, false);
      expect((await store.readRunIndex!()).summaries.has(RUN)).toBe(false);
    } finally {
      await cleanup();
    }
  });
});

describe('run summary kept where the metadata is', { timeout: 60_000 }, () => {
  it('local: a field of run.json, which a malformed summary does not break (that run is replayed)', async () => {
    const [, make] = stores[0]!;
    const { store, cleanup } = await make();
    try {
      await record(store, [start(0), runEnd(1, 'succeeded')], false);
      const file = store.locate(RUN).replace(/journal\.ndjson$/, 'run.json');
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      expect(stored).toMatchObject({ ...metadata, summary: { status: 'succeeded', lastTime: at(1) } });
      writeFileSync(file, JSON.stringify({ ...stored, summary: { status: 'succeeded', startedAt: 'yesterday' } }));
      expect(await listRuns(store)).toEqual([await summarizeRun(store, RUN)]);
    } finally {
      await cleanup();
    }
  });

  it('kubernetes: a run whose claim was taken over leaves the summary to its new owner', async () => {
    const namespace = await freshNamespace();
    const first = createKubernetesStore({ kube: cluster.kube, namespace, leaseMs: 600 });
    const opened = await openRunRecord(first, metadata, false);
    for (const event of [start(0), runEnd(1, 'succeeded')]) opened.journal.append(event);
    const taker = await createKubernetesStore({ kube: await cluster.connect(), namespace }).claim(RUN, { force: true });
    // The first store finds out at its next renewal.
    await new Promise((resolve) => (first.lost.aborted ? resolve(undefined) : first.lost.addEventListener('abort', resolve, { once: true })));
    await opened.close();
    expect((await first.readRunIndex!()).summaries.has(RUN)).toBe(false);
    await taker.release();
  });

  it("kubernetes: a data key of the run's metadata ConfigMap, beside run.json", async () => {
    const [, make] = stores[1]!;
    const { store, cleanup } = await make();
    try {
      await record(store, [start(0), runEnd(1, 'succeeded')], false);
      const namespace = lastNamespace;
      const cm = (await cluster.kube.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', name: metadataName(RUN), namespace }))!;
      expect(Object.keys(cm.data).sort()).toEqual(['run.json', 'summary.json']);
      expect(JSON.parse(cm.data['summary.json']!)).toMatchObject({ status: 'succeeded', startedAt: at(0), lastTime: at(1) });
    } finally {
      await cleanup();
    }
  });
});
