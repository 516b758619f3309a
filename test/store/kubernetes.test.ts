// The cluster store against the shared RunStore contract, on the simulated API server over HTTPS through
// @kubernetes/client-node; plus what only it has: chunk roll-over, a 409 storm, lease exclusivity and takeover, preflight.

import { describe, expect, it } from 'vitest';
import { JOURNAL_VERSION } from '../../src/engine/journal/format.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { UsageError } from '../../src/errors.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { REQUIRED_ACCESS, chunkName, createKubernetesStore, leaseName } from '../../src/store/kubernetes/index.js';
import { VirtualClock } from '../../src/time/clock.js';
import { startTestCluster, useTestCluster } from '../k8s/helpers.js';
import { describeStoreContract } from './contract.js';
import { stormyClient } from './storm.js';

const { cluster, freshNamespace } = useTestCluster('state', { users: [{ name: 'nobody', token: 'nobody-token', groups: [] }] } as never);

type ConfigMap = KubeObject & { data?: Record<string, string> };

describeStoreContract('kubernetes namespace', async () => {
  const namespace = await freshNamespace();
  const store = createKubernetesStore({ kube: cluster.kube, namespace });
  return {
    store,
    async tearTail(runId: string, partial: string) {
      const chunks = (await cluster.kube.list<ConfigMap>('v1', 'ConfigMap', { namespace, labelSelector: `opsbook.dev/run-id=${runId},opsbook.dev/part=journal` })).items;
      const last = chunks.sort((a, b) => Number(a.metadata.labels!['opsbook.dev/chunk']) - Number(b.metadata.labels!['opsbook.dev/chunk'])).at(-1)!;
      await cluster.kube.replace({ ...last, data: { 'journal.ndjson': `${last.data!['journal.ndjson']}${partial}` } });
    },
    cleanup: () => undefined,
  };
});

const RUN = '20260101-000000-000-aaaaaa';
const TIME = '2026-01-01T00:00:00.000Z';
const start: EngineEvent = {
  type: 'run-start', time: TIME, runId: RUN, journalVersion: JOURNAL_VERSION,
  runbook: { path: '/r.yaml', name: 'r', sha256: 'a'.repeat(64) }, inputs: {}, steps: [{ id: 'a', name: 'a', type: 'echo', needs: [] }],
};
const log = (i: number, size = 100): EngineEvent => ({ type: 'step-log', time: TIME, runId: RUN, stepId: 'a', stream: 'stdout', line: `${i}:${'x'.repeat(size)}` });

describe('kubernetes store', () => {
  it('rolls the journal over into chunks well under 1 MiB each and reads a >1 MiB journal back whole, in order', async () => {
    const namespace = await freshNamespace();
    const store = createKubernetesStore({ kube: cluster.kube, namespace });
    const events = [start, ...Array.from({ length: 300 }, (_, i) => log(i, 4000))];
    const journal = await store.openJournal(RUN);
    // Several event-loop turns, so batches of different sizes meet the roll-over boundary.
    for (let i = 0; i < events.length; i++) {
      journal.append(events[i]!);
      if (i % 37 === 0) await new Promise((r) => setImmediate(r));
    }
    await journal.close();
    const chunks = (await cluster.kube.list<ConfigMap>('v1', 'ConfigMap', { namespace, labelSelector: `opsbook.dev/run-id=${RUN},opsbook.dev/part=journal` })).items;
    const sizes = chunks.map((c) => Buffer.byteLength(c.data!['journal.ndjson']!));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(1024 * 1024);
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(256 * 1024);
    expect((await store.read(RUN)).events).toEqual(events);
    // Read again (as logs -f polls): only the last chunk is fetched again (and the next name, not there yet).
    const before = cluster.counters();
    expect((await store.read(RUN)).events).toEqual(events);
    const after = cluster.counters();
    expect((after['get configmaps'] ?? 0) - (before['get configmaps'] ?? 0)).toBe(2);
    expect(after['list configmaps']).toBe(before['list configmaps']);
    // A resumed writer appends after the last chunk.
    const again = await store.openJournal(RUN, { resume: true });
    again.append(log(999));
    await again.close();
    expect((await store.read(RUN)).events).toEqual([...events, log(999)]);
  });

  it('loses no event and duplicates none in a 409 storm and when a write lands but its answer is lost', async () => {
    const namespace = await freshNamespace();
    const other = await cluster.connect();
    // Two of every three chunk writes meet a 409; every sixth lands but its answer is lost.
    const storm = stormyClient(cluster.kube, other, namespace, 6);
    const store = createKubernetesStore({ kube: storm.kube, namespace, chunkBytes: 8 * 1024, clock: new VirtualClock() });
    const journal = await store.openJournal(RUN);
    const events = [start, ...Array.from({ length: 400 }, (_, i) => log(i, 150))];
    for (let i = 0; i < events.length; i++) {
      journal.append(events[i]!);
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await journal.close();
    expect((await createKubernetesStore({ kube: cluster.kube, namespace }).read(RUN)).events).toEqual(events);
    // The storm must actually have hit the writer, or this test proves nothing.
    expect(storm.conflicts).toBeGreaterThan(20);
    expect(storm.lostAnswers).toBeGreaterThan(5);
  });

  it('loses no event and duplicates none when the API server fails, throttles and resets writes (scenario faults); opens, reads and claims retry', async () => {
    const flaky = await startTestCluster({
      faults: {
        seed: 11,
        errors: [
          { verbs: ['update', 'create', 'list'], resources: ['configmaps'], rate: 0.3, code: 503 },
          { verbs: ['get', 'create', 'update'], resources: ['leases'], rate: 0.3, code: 503 },
        ],
        throttle: [{ verbs: ['update'], resources: ['configmaps'], rate: 0.1, retryAfterSeconds: 1 }],
        resets: [{ verbs: ['update'], resources: ['configmaps'], rate: 0.1 }],
      },
    } as never);
    try {
      await flaky.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flaky' } });
      const store = createKubernetesStore({ kube: flaky.kube, namespace: 'flaky', chunkBytes: 8 * 1024, clock: new VirtualClock() });
      const events = [start, ...Array.from({ length: 200 }, (_, i) => log(i, 150))];
      const journal = await store.openJournal(RUN);
      for (let i = 0; i < events.length; i++) {
        journal.append(events[i]!);
        if (i % 9 === 0) await new Promise((r) => setImmediate(r));
      }
      await journal.close();
      const injected = flaky.sim.faults();
      expect((await store.read(RUN)).events).toEqual(events);
      const claim = await store.claim(RUN);
      await claim.release();
      // The faults must actually have hit the writer, or this test proves nothing.
      expect(Object.values(injected).reduce((a, b) => a + b, 0), JSON.stringify(injected)).toBeGreaterThan(10);
    } finally {
      await flaky.stop();
    }
  });

  it('lets exactly one of two stores (two processes) claim a run; the other is told who holds it', async () => {
    const namespace = await freshNamespace();
    const a = createKubernetesStore({ kube: cluster.kube, namespace });
    const b = createKubernetesStore({ kube: await cluster.connect(), namespace });
    const results = await Promise.allSettled([a.claim(RUN), b.claim(RUN)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(UsageError);
    expect((lost[0]!.reason as Error).message).toMatch(new RegExp(`run ${RUN} is claimed by pid ${process.pid} on host .* \\(lease ${namespace}/${leaseName(RUN)}.*--break-lock`));
    await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });

  it('takes an expired lease over, and with force (--break-lock) a live one, whose holder then stops writing', async () => {
    const namespace = await freshNamespace();
    const clockA = new VirtualClock({ start: Date.now(), autoAdvance: false });
    const a = createKubernetesStore({ kube: cluster.kube, namespace, clock: clockA, leaseMs: 30_000 });
    const claimA = await a.claim(RUN);
    const journalA = await a.openJournal(RUN);
    journalA.append(start);
    // b's clock is 10 s later: the lease is live, so b is refused without force.
    const b = createKubernetesStore({ kube: await cluster.connect(), namespace, clock: new VirtualClock({ start: Date.now() + 10_000, autoAdvance: false }), leaseMs: 30_000 });
    await expect(b.claim(RUN)).rejects.toThrow(/is claimed by/);
    expect(await b.isActive(RUN)).toBe(true);
    // 60 s later a has not renewed (its clock did not move): the lease expired, so c takes it without force.
    const c = createKubernetesStore({ kube: await cluster.connect(), namespace, clock: new VirtualClock({ start: Date.now() + 60_000, autoAdvance: false }), leaseMs: 30_000 });
    expect(await c.isActive(RUN)).toBe(false);
    const claimC = await c.claim(RUN);
    // a renews next: it finds the lease taken over and stops appending.
    await clockA.advance(10_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(claimA.lost.aborted).toBe(true);
    expect(a.lost.aborted).toBe(true);
    expect(String(a.lost.reason)).toMatch(/lost the claim on run .* taken over by pid \d+ on host /);
    journalA.append(log(1)); // dropped: c owns the run
    await journalA.close();
    // d breaks c's live lease with force.
    const d = createKubernetesStore({ kube: await cluster.connect(), namespace, clock: new VirtualClock({ start: Date.now() + 61_000, autoAdvance: false }), leaseMs: 30_000 });
    await expect(d.claim(RUN)).rejects.toThrow(/is claimed by/);
    const claimD = await d.claim(RUN, { force: true });
    await claimD.release();
    await claimC.release(); // no longer ours: leaves the lease alone
    await claimA.release();
    expect((await store(namespace).read(RUN)).events).toEqual([start]);
  });

  it('preflight: a namespace that does not exist, and missing RBAC, are usage errors naming what to do', async () => {
    const missing = createKubernetesStore({ kube: cluster.kube, namespace: 'no-such-ns' });
    await expect(missing.preflight('write')).rejects.toThrow(/namespace no-such-ns does not exist on https:.*kubectl create namespace no-such-ns/);
    const namespace = await freshNamespace();
    const { createKubeClient } = await import('../../src/k8s/client.js');
    const nobodyKubeconfig = cluster.sim.kubeconfig.replace(/token: .*/, 'token: nobody-token');
    const nobody = await createKubeClient({ kubeconfig: nobodyKubeconfig });
    const denied = createKubernetesStore({ kube: nobody, namespace });
    const error = (await denied.preflight('read').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(/cannot list resource "configmaps".*configmaps \(get, list, create, update\) and leases.coordination.k8s.io \(get, create, update\), and pods \(get\) to take over a run whose pod has ended.*; bind the Role in deploy\/rbac.yaml/);
    await createKubernetesStore({ kube: cluster.kube, namespace }).preflight('write');
    // The dry-run probes stored nothing.
    expect((await cluster.kube.list('v1', 'ConfigMap', { namespace })).items).toEqual([]);
  });

  it('names chunks and the lease after the run', () => {
    expect(chunkName(RUN, 3)).toBe(`opsbook-run-${RUN}-j-3`);
  });
});

function store(namespace: string) {
  return createKubernetesStore({ kube: cluster.kube, namespace });
}

describe('deploy/rbac.yaml', () => {
  // Kept equal to what the store uses; kubernetes-claim.test.ts also applies it to the simulation (which evaluates RBAC) and claims as its subject.
  it('grants exactly the verbs the cluster store uses, and a RoleBinding to it', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseAllDocuments } = await import('yaml');
    const docs = parseAllDocuments(readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as Record<string, any>);
    const role = docs.find((d) => d.kind === 'Role')!;
    const granted = Object.fromEntries(role.rules.map((r: { apiGroups: string[]; resources: string[]; verbs: string[] }) => [r.resources[0], r.verbs]));
    expect(granted).toEqual({ configmaps: [...REQUIRED_ACCESS.configmaps], leases: [...REQUIRED_ACCESS.leases], pods: [...REQUIRED_ACCESS.pods] });
    expect(role.rules.map((r: { apiGroups: string[] }) => r.apiGroups[0])).toEqual(['', 'coordination.k8s.io', '']);
    const binding = docs.find((d) => d.kind === 'RoleBinding')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  });
});
