// submit end to end when the node under the run's pod loses power (simulated cluster of two nodes, sim clock at 100× so the 40 s node
// grace and the 300 s default toleration pass in seconds): the pod's processes die with the node and it stays Running, then Terminating,
// as the API server last heard. A Job that replaces terminating pods starts the next pod on the other node at once, and that pod must
// wait for the dead pod's Lease to expire before it resumes (proved by the Lease's times); submit's own Job (podFailurePolicy, so pods are
// replaced only once Failed) waits until an administrator marks the node out-of-service and the pod GC fails the pod; then it takes over
// at once. Either way the step that succeeded ran once and the step cut short ran again once.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import type { KubeObject, Lease } from '../../src/k8s/types.js';
import { runCli, startCli } from '../helpers/cli.js';
import type { TestCluster } from '../k8s/helpers.js';
import { fixture, useTempDir } from './fixtures.js';
import { IMAGE, startSubmitCluster, until, type SubmitCluster } from './submit-cluster.js';

let env: SubmitCluster;
let cluster: TestCluster;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });
const NS = 'ops';

beforeAll(async () => {
  env = await startSubmitCluster(NS, 'T0ken-node-SECRET', { nodeNames: ['node-a', 'node-b'], timeScale: 100 });
  cluster = env.cluster;
});
afterAll(async () => {
  await env?.stop();
});

type Pod = KubeObject & { metadata: { uid?: string; deletionTimestamp?: string }; spec?: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; reason?: string }[] } };
type Job = KubeObject & { spec: Record<string, unknown>; status?: { conditions?: { type: string; status: string }[] } };

const markers = () => (existsSync(path.join(tmp.dir, 'markers')) ? readFileSync(path.join(tmp.dir, 'markers'), 'utf8') : '');
const started = (step: string) => markers().split('\n').filter((l) => l.startsWith(`start ${step} `)).length;
const podsOf = async (runId: string) => (await cluster.kube.list<Pod>('v1', 'Pod', { namespace: NS, labelSelector: `opsbook.dev/run-id=${runId}` })).items;
const leaseOf = async (runId: string) => (await cluster.kube.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: `opsbook-run-${runId}`, namespace: NS }))!.spec!;
// The run's window is long in simulated time: the sim clock runs 100× and activeDeadlineSeconds is judged on it.
const submitArgs = () => ['submit', fixture('submit.yaml'), '--namespace', NS, '--kubeconfig', tmp.kubeconfig, '--image', IMAGE, '--target-kubeconfig-secret', 'target', '--set', `dir=${tmp.dir}`, '--set', 'window=100h', '--secret-from', 'token=tokens/token'];

/** Waits for the slow step to run in the run's first pod, kills that pod's node, and returns the pod and its Lease as last renewed. */
async function killNodeMidStep(runId: string): Promise<{ dead: Pod; held: NonNullable<Lease['spec']> }> {
  await until('the slow step to start in the first pod', () => (started('slow') === 1 ? true : undefined), 90_000);
  const [dead] = await podsOf(runId);
  const pid = env.workloads.pods.pid(NS, dead!.metadata.name!);
  expect(pid).toBeDefined();
  expect(env.workloads.pods.killNode(dead!.spec!.nodeName!)).toBe(true);
  await until('the pod process to be gone', () => {
    try {
      process.kill(pid!, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  // Its opsbook is gone: this is the last renewal the Lease will see from it.
  return { dead: dead!, held: await leaseOf(runId) };
}

async function waitSucceeded(runId: string): Promise<void> {
  await until('the run to succeed', async () => {
    const runs = JSON.parse((await runCli(['runs', '--state', `kubernetes://${NS}`, '--kubeconfig', tmp.kubeconfig, '--output', 'json'])).stdout) as { runId: string; status: string }[];
    return runs.find((r) => r.runId === runId && r.status === 'succeeded');
  }, 90_000);
}

describe('opsbook submit when the node under the pod dies', () => {
  it('a Job replacing Terminating pods starts the next pod on the other node, which waits for the dead pod\'s Lease to expire, then resumes', async () => {
    writeFileSync(path.join(tmp.dir, 'markers'), '');
    // A Job a team wrote from submit --print: no podFailurePolicy, so it may replace a pod as soon as it is Terminating.
    const printed = await runCli([...submitArgs(), '--print']);
    expect(printed.exitCode, printed.stderr).toBe(0);
    const [configMap, job] = parseYamlDocuments(printed.stdout, 'stdout') as [KubeObject, Job];
    delete job.spec.podFailurePolicy;
    job.spec.podReplacementPolicy = 'TerminatingOrFailed';
    const runId = /\d{8}-\d{6}-\d{3}-[0-9a-f]{6}/.exec(job.metadata.name!)![0];
    await cluster.kube.create(configMap);
    await cluster.kube.create(job);

    const { dead, held } = await killNodeMidStep(runId);
    const next = await until('the next pod to run on the other node', async () => (await podsOf(runId)).find((p) => p.metadata.uid !== dead.metadata.uid && p.status?.phase === 'Running'), 90_000);
    expect(next.spec?.nodeName).not.toBe(dead.spec?.nodeName);
    // The dead pod is still Running as the API server last heard, now Terminating (taint manager, no kubelet to confirm).
    const shown = (await podsOf(runId)).find((p) => p.metadata.uid === dead.metadata.uid);
    expect(shown?.metadata.deletionTimestamp).toBeDefined();
    expect(shown?.status?.phase).toBe('Running');
    expect(shown?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.reason).toBe('DeletionByTaintManager');

    await until('the slow step to start again in the next pod', () => (started('slow') === 2 ? true : undefined), 120_000);
    // Taken over only once the dead holder's Lease had expired: the pod it names could still have been writing.
    const taken = await leaseOf(runId);
    expect(taken.holderIdentity).not.toBe(held.holderIdentity);
    expect(Date.parse(taken.acquireTime!)).toBeGreaterThanOrEqual(Date.parse(held.renewTime!) + held.leaseDurationSeconds! * 1000);
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    await waitSucceeded(runId);
    expect(started('first')).toBe(1);
    expect(started('slow')).toBe(2);
    env.workloads.pods.reviveNode(dead.spec!.nodeName!);
  }, 240_000);

  it('submit\'s own Job waits while the pod is Terminating on an unreachable node; once the node is out-of-service the next pod takes over at once and resumes', async () => {
    writeFileSync(path.join(tmp.dir, 'markers'), '');
    rmSync(path.join(tmp.dir, 'gate'), { force: true });
    await until('both nodes to be Ready', async () => {
      const nodes = (await cluster.kube.list<KubeObject & { spec?: { taints?: unknown[] }; status?: { conditions?: { type: string; status: string }[] } }>('v1', 'Node')).items.filter((n) => n.metadata.name!.startsWith('node-'));
      return nodes.length === 2 && nodes.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !n.spec?.taints?.length) ? true : undefined;
    });
    const cli = startCli([...submitArgs(), '--output', 'json', '--wait'], { timeout: 200_000 });
    const runId = (await cli.waitForOutput(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/m)).match(/\d{8}-\d{6}-\d{3}-[0-9a-f]{6}/)![0];
    const { dead, held } = await killNodeMidStep(runId);
    const nodeName = dead.spec!.nodeName!;
    await until('the taint manager to delete the pod', async () => ((await podsOf(runId)).find((p) => p.metadata.uid === dead.metadata.uid)?.metadata.deletionTimestamp ? true : undefined), 60_000);
    // podFailurePolicy makes Failed the replacement policy: four node-monitor periods later there is still only the Terminating pod.
    const after = cluster.sim.clock.now() + 20_000;
    await until('20 simulated seconds to pass', () => (cluster.sim.clock.now() > after ? true : undefined));
    expect((await podsOf(runId)).map((p) => p.metadata.uid)).toEqual([dead.metadata.uid]);

    // The administrator confirms the machine is off (non-graceful node shutdown): the pod GC fails and removes the pod.
    const taint = await execa('kubectl', ['--kubeconfig', tmp.kubeconfig, 'taint', 'nodes', nodeName, 'node.kubernetes.io/out-of-service=nodeshutdown:NoExecute'], { reject: false });
    expect(taint.exitCode, taint.stderr).toBe(0);
    await until('the slow step to start again in the next pod', () => (started('slow') === 2 ? true : undefined), 120_000);
    const pods = await podsOf(runId);
    expect(pods.map((p) => p.spec?.nodeName)).toEqual([expect.not.stringMatching(nodeName)]);
    // The holder's pod had Failed (pod GC): taken over at once, before its Lease would have expired.
    const taken = await leaseOf(runId);
    expect(taken.holderIdentity).not.toBe(held.holderIdentity);
    expect(Date.parse(taken.acquireTime!)).toBeLessThan(Date.parse(held.renewTime!) + held.leaseDurationSeconds! * 1000);
    // …and the new pod's log says why: the pod the Lease names had ended (Failed by the pod GC, or already removed).
    expect(env.workloads.pods.log(NS, pods[0]!.metadata.name!)).toMatch(new RegExp(`took the claim over from pod ${NS}/${dead.metadata.name} \\(.*\\), which (is Failed|no longer exists) \\(lease .* had not expired\\)`));
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const result = await cli.result;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(started('first')).toBe(1);
    expect(started('slow')).toBe(2);
    const job = await cluster.kube.get<Job & { status?: { failed?: number } }>({ apiVersion: 'batch/v1', kind: 'Job', name: `opsbook-job-${runId}`, namespace: NS });
    // The pod GC's DisruptionTarget kept the lost pod off backoffLimit (the Ignore rule).
    expect(job?.status?.failed ?? 0).toBe(0);
    expect(result.stdout).not.toContain('T0ken-node-SECRET');
  }, 240_000);
});
