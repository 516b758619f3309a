// A simulated node that loses power under a running pod, as Kubernetes handles it: the node's processes are gone, its Lease goes stale,
// the node controller marks it Unknown and taints it unreachable, the taint manager deletes the pod after its default 300 s toleration,
// the pod stays Terminating (no kubelet confirms), the Job replaces it on the other node per podReplacementPolicy, the pod GC force-deletes
// it once the node is marked out-of-service, and a node that boots again reports what it lost. Sim clock at 100×; asserted through the API.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkloads, type Workloads } from '../../src/sim/workloads/index.js';
import { evictionTime } from '../../src/sim/workloads/node-lifecycle.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { until } from '../cli/submit-cluster.js';

let cluster: TestCluster;
let workloads: Workloads;
let dir: string;
let kubeconfig: string;
const stop = new AbortController();
const ns = 'nodes';

beforeAll(async () => {
  cluster = await startTestCluster({ timeScale: 100 });
  dir = mkdtempSync(path.join(tmpdir(), 'node-lifecycle-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.sim.kubeconfig);
  workloads = startWorkloads(cluster.sim.access, { clock: cluster.sim.clock, startedAt: cluster.sim.startedAt, signal: stop.signal, report: (e) => console.error(e) }, {
    images: { 'sim/bash:1': { command: ['bash', '-c'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } } },
    nodeNames: ['node-a', 'node-b'],
    nodeLifecycle: {},
    replacementDelayMs: () => 0,
    gracePeriodMs: 5_000,
  });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
afterAll(async () => {
  workloads?.stop();
  stop.abort();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Condition = { type: string; status: string; reason?: string; lastTransitionTime?: string };
type Taint = { key: string; value?: string; effect: string; timeAdded?: string };
type Node = KubeObject & { spec?: { taints?: Taint[] }; status?: { conditions?: Condition[] } };
type Pod = KubeObject & {
  metadata: { deletionTimestamp?: string; uid?: string };
  spec?: { nodeName?: string; tolerations?: { key?: string; effect?: string; tolerationSeconds?: number }[] };
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: { state?: { running?: object; terminated?: { reason?: string; exitCode?: number } } }[] };
};
type Job = KubeObject & { status?: { active?: number; failed?: number } };

const node = (name: string) => cluster.kube.get<Node>({ apiVersion: 'v1', kind: 'Node', name });
const podsOf = async (job: string) => (await cluster.kube.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
const readyOf = (n: Node | undefined) => n?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function job(name: string, extra: object): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { backoffLimit: 3, ...extra, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'sim/bash:1', args: ['sleep 600'] }] } } },
  };
}

/** Kills the running pod's node and waits for the node controller and taint manager to play out; returns the dead pod and its node's taint. */
async function killNodeUnder(jobName: string): Promise<{ dead: Pod; taint: Taint }> {
  const [first] = await until('the first pod to run', async () => {
    const pods = await podsOf(jobName);
    return pods[0]?.status?.phase === 'Running' ? pods : undefined;
  });
  const nodeName = first!.spec!.nodeName!;
  const pid = workloads.pods.pid(ns, first!.metadata.name!)!;
  expect(workloads.pods.killNode(nodeName)).toBe(true);
  // Power loss: the container's process is gone at once, and nothing reports it.
  await until('the process to be gone', () => (alive(pid) ? undefined : true));
  const unknown = await until('the node to be Unknown and tainted', async () => {
    const n = await node(nodeName);
    return readyOf(n) === 'Unknown' && n?.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? n : undefined;
  });
  const taint = unknown.spec!.taints!.find((t) => t.effect === 'NoExecute')!;
  const dead = await until('the taint manager to delete the pod', async () => {
    const pod = (await podsOf(jobName)).find((p) => p.metadata.uid === first!.metadata.uid);
    return pod?.metadata.deletionTimestamp ? pod : undefined;
  });
  return { dead, taint };
}

describe('node death in the simulation', () => {
  it('registers Ready nodes with heartbeats, and pods get the DefaultTolerationSeconds tolerations', async () => {
    for (const name of ['node-a', 'node-b']) {
      await until(`${name} to be Ready`, async () => (readyOf(await node(name)) === 'True' ? true : undefined));
      const lease = await cluster.kube.get<KubeObject & { spec?: { holderIdentity?: string; renewTime?: string } }>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace: 'kube-node-lease' });
      expect(lease?.spec?.holderIdentity).toBe(name);
    }
    const pod = await cluster.kube.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tolerant', namespace: ns }, spec: { restartPolicy: 'Never', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }], containers: [{ name: 'main', image: 'sim/bash:1', args: ['true'] }] } });
    // The pod's own unreachable toleration is kept; not-ready gets the default.
    expect(pod.spec?.tolerations).toEqual([
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it('evictionTime: an untolerated NoExecute taint evicts at once, the longest matching toleration counts, an unbounded one never evicts', () => {
    const taints = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2026-12-03T10:00:00Z' }];
    const pod = (tolerations: object[]) => ({ metadata: { name: 'p' }, spec: { tolerations } }) as never;
    expect(evictionTime(pod([]), taints)).toBe(-Infinity);
    expect(evictionTime(pod([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { operator: 'Exists', tolerationSeconds: 30 }]), taints)).toBe(Date.parse('2026-12-03T10:05:00Z'));
    expect(evictionTime(pod([{ operator: 'Exists' }]), taints)).toBeUndefined();
    expect(evictionTime(pod([{ key: 'other', operator: 'Exists' }]), [{ key: 'x', effect: 'NoSchedule' }])).toBeUndefined();
  });

  it('TerminatingOrFailed: the Terminating pod is replaced on the other node at once; a node that boots again reports the lost container and is untainted', async () => {
    await cluster.kube.create(job('replace-terminating', { podReplacementPolicy: 'TerminatingOrFailed' }));
    const { dead, taint } = await killNodeUnder('replace-terminating');
    // Deleted no sooner than the default toleration allows, with DisruptionTarget; no kubelet confirms, so it stays as it was last reported.
    const disruption = dead.status!.conditions!.find((c) => c.type === 'DisruptionTarget')!;
    expect(disruption).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
    expect(Date.parse(disruption.lastTransitionTime!) - Date.parse(taint.timeAdded!)).toBeGreaterThanOrEqual(300_000);
    expect(dead.status?.phase).toBe('Running');
    expect(dead.status!.conditions!.find((c) => c.type === 'Ready')?.status).toBe('False');
    expect(dead.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    const next = await until('the replacement to run on the other node', async () => (await podsOf('replace-terminating')).find((p) => p.metadata.uid !== dead.metadata.uid && p.status?.phase === 'Running'));
    expect(next.spec?.nodeName).not.toBe(dead.spec?.nodeName);
    const still = (await podsOf('replace-terminating')).find((p) => p.metadata.uid === dead.metadata.uid);
    expect(still?.metadata.deletionTimestamp).toBeDefined();

    // What its kubelet reports once it boots, seen on the store's watch before the pod is removed.
    const reported: Pod['status'][] = [];
    const unwatch = cluster.sim.access.subscribe('pods', (event) => {
      if (event.stored.object.metadata.uid === dead.metadata.uid) reported.push((event.stored.object as Pod).status);
    });
    expect(workloads.pods.reviveNode(dead.spec!.nodeName!)).toBe(true);
    await until('the node to be Ready and untainted', async () => {
      const n = await node(dead.spec!.nodeName!);
      return readyOf(n) === 'True' && !(n?.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable') ? true : undefined;
    });
    await until('the dead pod to be removed by its kubelet', async () => ((await podsOf('replace-terminating')).some((p) => p.metadata.uid === dead.metadata.uid) ? undefined : true));
    unwatch();
    expect(reported.at(-1)).toMatchObject({ phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown' } } }] });
    await cluster.kube.delete({ apiVersion: 'batch/v1', kind: 'Job', name: 'replace-terminating', namespace: ns });
  }, 60_000);

  it('with a podFailurePolicy (replacement only once Failed) the Terminating pod is not replaced until the out-of-service taint lets the pod GC fail and remove it', async () => {
    await cluster.kube.create(job('replace-failed', { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }));
    const { dead } = await killNodeUnder('replace-failed');
    const nodeName = dead.spec!.nodeName!;
    // Two more node-monitor periods of simulated time: still one pod, Terminating, and the Job waits.
    const after = cluster.sim.clock.now() + 10_000;
    await until('two monitor periods to pass', () => (cluster.sim.clock.now() > after ? true : undefined));
    expect((await podsOf('replace-failed')).map((p) => p.metadata.uid)).toEqual([dead.metadata.uid]);
    const taint = await execa('kubectl', ['--kubeconfig', kubeconfig, 'taint', 'nodes', nodeName, 'node.kubernetes.io/out-of-service=nodeshutdown:NoExecute'], { reject: false });
    expect(taint.exitCode, taint.stderr).toBe(0);
    const next = await until('the replacement to run on the other node', async () => (await podsOf('replace-failed')).find((p) => p.metadata.uid !== dead.metadata.uid && p.status?.phase === 'Running'));
    expect(next.spec?.nodeName).not.toBe(nodeName);
    expect((await podsOf('replace-failed')).map((p) => p.metadata.uid)).toEqual([next.metadata.uid]);
    // The pod GC failed it with DisruptionTarget, so the Ignore rule kept it off the failure count.
    const j = await cluster.kube.get<Job>({ apiVersion: 'batch/v1', kind: 'Job', name: 'replace-failed', namespace: ns });
    expect(j?.status?.failed ?? 0).toBe(0);
    await execa('kubectl', ['--kubeconfig', kubeconfig, 'taint', 'nodes', nodeName, 'node.kubernetes.io/out-of-service-']);
    workloads.pods.reviveNode(nodeName);
  }, 60_000);
});
