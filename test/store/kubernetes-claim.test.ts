// The cluster store's claim when its holder ran in a pod (a submitted Job's): the API server's word on that pod decides whether a
// claimant may take the run over before the Lease expires. Against the simulated API server over HTTPS, clocks injected.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import type { KubeObject, Lease } from '../../src/k8s/types.js';
import { createKubernetesStore, leaseName, type PodRef } from '../../src/store/kubernetes/index.js';
import { VirtualClock } from '../../src/time/clock.js';
import { useTestCluster } from '../k8s/helpers.js';

const { cluster, freshNamespace } = useTestCluster('claim', {
  users: [
    { name: 'nobody', token: 'nobody-token', groups: [] },
    // The service account deploy/rbac.yaml binds, in the namespace the last test applies it to.
    { name: 'system:serviceaccount:claim-rbac:opsbook', token: 'opsbook-sa-token', groups: ['system:serviceaccounts'] },
  ],
} as never);
let runs = 0;
const nextRun = () => `20260101-000000-000-${String(++runs).padStart(6, 'a')}`;

type PodStatus = { phase: string; containerStatuses?: { name: string; state: Record<string, object> }[] };
const running: PodStatus = { phase: 'Running', containerStatuses: [{ name: 'opsbook', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] };

/** A pod as a Job's would be, with the status a kubelet reports; returns the ref its opsbook would record. */
async function pod(namespace: string, name: string, status: PodStatus): Promise<PodRef> {
  const created = await cluster.kube.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { restartPolicy: 'Never', containers: [{ name: 'opsbook', image: 'opsbook:test' }] } });
  await setPod(namespace, name, (p) => void (p.status = status));
  return { namespace, name, uid: created.metadata.uid! };
}
async function setPod(namespace: string, name: string, change: (pod: KubeObject & { status?: unknown }) => void): Promise<void> {
  const access = cluster.sim.access;
  // deletionTimestamp is the API server's own field (graceful deletion); set on the stored object as the server would.
  const current = access.get('pods', namespace, name)!;
  change(current as never);
  access.core.store.update(access.def('pods'), current);
}

const clockAt = (offsetMs: number, autoAdvance = false) => new VirtualClock({ start: Date.now() + offsetMs, autoAdvance });
async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
async function holderOf(namespace: string, runId: string): Promise<{ pod?: PodRef; pid: number }> {
  const lease = (await cluster.kube.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: leaseName(runId), namespace }))!;
  return JSON.parse(lease.metadata.annotations!['opsbook.dev/owner']!) as { pod?: PodRef; pid: number };
}

describe('kubernetes store: a claim held by a pod', () => {
  it('a live holder pod keeps the run until its lease expires: refused at once, or after waiting (bounded, naming the pod); a deleted pod still running too', async () => {
    const namespace = await freshNamespace();
    const runId = nextRun();
    const holderPod = await pod(namespace, 'job-a-1', running);
    const clockA = clockAt(0);
    const a = createKubernetesStore({ kube: cluster.kube, namespace, clock: clockA, leaseMs: 600_000, pod: holderPod });
    const claimA = await a.claim(runId);
    expect((await holderOf(namespace, runId)).pod).toEqual(holderPod);
    // A person's resume (not in a pod): refused at once, told which pod holds the run and that it is Running.
    const person = createKubernetesStore({ kube: await cluster.connect(), namespace, clock: clockAt(1_000) });
    await expect(person.claim(runId)).rejects.toThrow(new RegExp(`run ${runId} is claimed by pod ${namespace}/job-a-1 \\(pid ${process.pid} on host .*\\), which is Running \\(lease`));
    // The Job's next pod waits (looking again with backoff on its clock), then gives up naming the holder: the lease never ran out.
    const next = createKubernetesStore({ kube: await cluster.connect(), namespace, clock: clockAt(1_000, true), pod: await pod(namespace, 'job-a-2', running), claimWaitMs: 10_000 });
    const before = cluster.counters()['get pods'] ?? 0;
    await expect(next.claim(runId)).rejects.toThrow(/claimed by pod .*\/job-a-1 .*which is Running .*waited 10s\)/);
    expect((cluster.counters()['get pods'] ?? 0) - before).toBeGreaterThanOrEqual(4);
    // Being deleted, its container still running (the grace period): still the holder's.
    await setPod(namespace, 'job-a-1', (p) => void (p.metadata.deletionTimestamp = new Date(Date.now() + 30_000).toISOString()));
    await expect(person.claim(runId)).rejects.toThrow(/which is Running, being deleted/);
    // Its container has stopped (the kubelet says terminated): the holder cannot write any more, the run is taken over.
    await setPod(namespace, 'job-a-1', (p) => void (p.status = { phase: 'Running', containerStatuses: [{ name: 'opsbook', state: { terminated: { exitCode: 143 } } }] }));
    const taken = await person.claim(runId);
    expect((await holderOf(namespace, runId)).pod).toBeUndefined();
    // a, if it were still running, would find the lease taken over at its next renewal and stop writing.
    await clockA.advance(200_000);
    await until('a to lose its claim', () => claimA.lost.aborted);
    expect(String(claimA.lost.reason)).toMatch(/taken over by pid \d+ on host /);
    await taken.release();
  });

  it('a holder pod that Failed, Succeeded, is gone or is another pod of that name is taken over at once; of two claimants exactly one wins', async () => {
    const namespace = await freshNamespace();
    const cases: [string, (ref: PodRef) => Promise<PodRef>][] = [
      ['Failed', async (ref) => (await setPod(namespace, ref.name, (p) => void (p.status = { phase: 'Failed', containerStatuses: [{ name: 'opsbook', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] })), ref)],
      ['Succeeded', async (ref) => (await setPod(namespace, ref.name, (p) => void (p.status = { phase: 'Succeeded' })), ref)],
      ['gone', async (ref) => (await cluster.kube.delete({ apiVersion: 'v1', kind: 'Pod', name: ref.name, namespace }), ref)],
      ['replaced', async (ref) => (await cluster.kube.delete({ apiVersion: 'v1', kind: 'Pod', name: ref.name, namespace }), await pod(namespace, ref.name, running), ref)],
    ];
    for (const [what, end] of cases) {
      const runId = nextRun();
      const holder = await pod(namespace, `holder-${what.toLowerCase()}`, running);
      // The holder's clock never moves: its lease stays live for the claimants below (their clocks are 1 s later).
      const a = createKubernetesStore({ kube: cluster.kube, namespace, clock: clockAt(0), pod: holder });
      await a.claim(runId);
      await end(holder);
      const next = await pod(namespace, `next-${what.toLowerCase()}`, running);
      const b = createKubernetesStore({ kube: await cluster.connect(), namespace, clock: clockAt(1_000), pod: next, claimWaitMs: 0 });
      const claim = await b.claim(runId);
      expect((await holderOf(namespace, runId)).pod, what).toEqual(next);
      // Said, so the new pod's log tells why it did not wait.
      expect(claim.notice, what).toMatch(new RegExp(`took the claim over from pod ${namespace}/holder-${what.toLowerCase()} \\(pid \\d+ .*\\), which (is|no longer)`));
      await claim.release();
    }
    // Two next pods race for a dead pod's run: the replace carries the resourceVersion read, so one wins; the other finds the winner's live pod.
    const runId = nextRun();
    const dead = await pod(namespace, 'race-holder', running);
    await createKubernetesStore({ kube: cluster.kube, namespace, clock: clockAt(0), pod: dead }).claim(runId);
    await setPod(namespace, 'race-holder', (p) => void (p.status = { phase: 'Failed' }));
    const [p1, p2] = [await pod(namespace, 'race-1', running), await pod(namespace, 'race-2', running)];
    const racers = [p1, p2].map(async (ref) => createKubernetesStore({ kube: await cluster.connect(), namespace, clock: clockAt(1_000), pod: ref, claimWaitMs: 0 }).claim(runId));
    const results = await Promise.allSettled(racers);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = (await holderOf(namespace, runId)).pod!;
    expect([p1.name, p2.name]).toContain(winner.name);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect(String(refused.reason)).toContain(`claimed by pod ${namespace}/${winner.name}`);
  });

  it('a holder that is a plain process (no pod) keeps the expiry rule: a waiting claimant in a pod takes over only once the lease expired', async () => {
    const namespace = await freshNamespace();
    const runId = nextRun();
    const start = Date.now();
    const a = createKubernetesStore({ kube: cluster.kube, namespace, clock: new VirtualClock({ start, autoAdvance: false }), leaseMs: 30_000 });
    await a.claim(runId);
    await expect(createKubernetesStore({ kube: await cluster.connect(), namespace, clock: new VirtualClock({ start: start + 1_000, autoAdvance: false }) }).claim(runId)).rejects.toThrow(
      new RegExp(`claimed by pid ${process.pid} on host [^,]* since [^,]* \\(lease`),
    );
    const clockB = new VirtualClock({ start: start + 1_000, autoAdvance: true });
    const b = createKubernetesStore({ kube: await cluster.connect(), namespace, clock: clockB, leaseMs: 30_000, pod: await pod(namespace, 'waiter', running) });
    const claim = await b.claim(runId);
    // Taken at the first look after renewTime + 30 s (whole seconds on the Lease), not before.
    expect(clockB.now() - start).toBeGreaterThan(30_000);
    expect((await holderOf(namespace, runId)).pod?.name).toBe('waiter');
    await claim.release();
  });

  it('deploy/rbac.yaml, applied as shipped (namespace renamed), lets its service account pass preflight and take a dead pod\'s run over', async () => {
    const namespace = 'claim-rbac';
    await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const manifests = parseYamlDocuments(readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8').replaceAll('opsbook-runs', namespace), 'deploy/rbac.yaml') as KubeObject[];
    for (const object of manifests) await cluster.kube.create(object);
    const { createKubeClient } = await import('../../src/k8s/client.js');
    const sa = await createKubeClient({ kubeconfig: cluster.sim.kubeconfig.replace(/token: .*/, 'token: opsbook-sa-token') });
    const runId = nextRun();
    await createKubernetesStore({ kube: cluster.kube, namespace, clock: clockAt(0), pod: await pod(namespace, 'dead', running) }).claim(runId);
    await setPod(namespace, 'dead', (p) => void (p.status = { phase: 'Failed' }));
    const store = createKubernetesStore({ kube: sa, namespace, clock: clockAt(1_000), pod: await pod(namespace, 'next', running), claimWaitMs: 0 });
    await store.preflight('write');
    const claim = await store.claim(runId);
    expect((await holderOf(namespace, runId)).pod?.name).toBe('next');
    await claim.release();
  });

  it('without get on pods the holder pod cannot be checked: the expiry rule stands, and the refusal names the missing right', async () => {
    const namespace = await freshNamespace();
    const runId = nextRun();
    for (const object of [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'state-no-pods', namespace }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'create', 'update'] }, { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'nobody', namespace }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'state-no-pods' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'nobody' }] },
    ]) await cluster.kube.create(object as never);
    const holder = await pod(namespace, 'holder', running);
    await createKubernetesStore({ kube: cluster.kube, namespace, clock: clockAt(0), pod: holder }).claim(runId);
    await setPod(namespace, 'holder', (p) => void (p.status = { phase: 'Failed' }));
    const { createKubeClient } = await import('../../src/k8s/client.js');
    const nobody = await createKubeClient({ kubeconfig: cluster.sim.kubeconfig.replace(/token: .*/, 'token: nobody-token') });
    await expect(createKubernetesStore({ kube: nobody, namespace, clock: clockAt(1_000) }).claim(runId)).rejects.toThrow(
      new RegExp(`claimed by pod ${namespace}/holder .*which could not be checked \\(403: grant get on pods, as deploy/rbac.yaml does`),
    );
  });
});
