// The simulation's Job controller and pod runner: a pod of a known image runs as a local process with its env (secretKeyRef,
// configMapKeyRef) and mounted ConfigMaps/Secrets; failures replaced up to backoffLimit; a deleted pod gets SIGTERM and is replaced; an
// unknown image stays Pending in ImagePullBackOff. Driven through the real client over HTTPS, and kubectl finds the Jobs.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkloads, type Workloads } from '../../src/sim/workloads/index.js';
import { describePodTrouble } from '../../src/submit/index.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';

let cluster: TestCluster;
let workloads: Workloads;
let dir: string;
const stop = new AbortController();
const ns = 'work';

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = mkdtempSync(path.join(tmpdir(), 'workloads-'));
  workloads = startWorkloads(cluster.sim.access, { clock: cluster.sim.clock, startedAt: cluster.sim.startedAt, signal: stop.signal, report: (e) => console.error(e) }, {
    images: { 'sim/bash:1': { command: ['bash', '-c'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } } },
    replacementDelayMs: () => 0,
    gracePeriodMs: 5_000,
    restartDelayMs: () => 200,
  });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, stringData: { token: 'tok-123' } });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'files', namespace: ns }, data: { 'hello.txt': 'hello from a configmap', mode: 'fast' } });
});
afterAll(async () => {
  workloads?.stop();
  stop.abort();
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Job = KubeObject & { status?: { active?: number; succeeded?: number; failed?: number; conditions?: { type: string; status: string; reason?: string }[] } };
type Pod = KubeObject & { status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string } } }[] } };

function job(name: string, script: string, extra: { backoffLimit?: number; image?: string; restartPolicy?: string } = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      backoffLimit: extra.backoffLimit ?? 3,
      template: {
        spec: {
          restartPolicy: extra.restartPolicy ?? 'Never',
          containers: [
            {
              name: 'main',
              image: extra.image ?? 'sim/bash:1',
              args: [script],
              env: [
                { name: 'DIR', value: dir },
                { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
                { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'files', key: 'mode' } } },
                { name: 'FILES', value: '/etc/files' },
              ],
              volumeMounts: [{ name: 'files', mountPath: '/etc/files', readOnly: true }, { name: 'creds', mountPath: '/etc/creds', readOnly: true }],
            },
          ],
          volumes: [{ name: 'files', configMap: { name: 'files' } }, { name: 'creds', secret: { secretName: 'creds' } }],
        },
      },
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const getJob = (name: string) => cluster.kube.get<Job>({ apiVersion: 'batch/v1', kind: 'Job', name, namespace: ns });
const podsOf = async (name: string) => (await cluster.kube.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${name}` })).items;
const ended = (name: string, type: 'Complete' | 'Failed') => until(`${name} ${type}`, async () => {
  const j = await getJob(name);
  return j?.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? j : undefined;
});

describe('simulated workloads', () => {
  it('runs the pod as a local process with its env and mounted files; its output is the pod log; exit 0 completes the Job', async () => {
    await cluster.kube.create(job('ok', 'echo "token=$TOKEN mode=$MODE"; cat "$FILES/hello.txt"; echo; cat /etc/creds/token; true'));
    const done = await ended('ok', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0, active: 0 });
    const [pod] = await podsOf('ok');
    expect(pod!.status?.phase).toBe('Succeeded');
    // Paths in args are mapped to the pod's directory; env values naming a mount path too.
    expect(workloads.pods.log(ns, pod!.metadata.name!)).toBe('token=tok-123 mode=fast\nhello from a configmap\n' + 'cat: /etc/creds/token: No such file or directory\n');
    const kubectl = await execa('kubectl', ['--kubeconfig', cluster.sim.kubeconfigPath, '-n', ns, 'get', 'jobs', '-o', 'name'], { reject: false });
    expect(kubectl.exitCode, kubectl.stderr).toBe(0);
    expect(kubectl.stdout).toContain('job.batch/ok');
  }, 30_000);

  it('replaces a failed pod until backoffLimit, then fails the Job with BackoffLimitExceeded', async () => {
    await cluster.kube.create(job('bad', 'echo attempt >> "$DIR/bad"; exit 3', { backoffLimit: 1 }));
    const failed = await ended('bad', 'Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(failed.status?.failed).toBe(2);
    expect((await podsOf('bad')).map((p) => p.status?.phase)).toEqual(['Failed', 'Failed']);
  }, 30_000);

  it('a pod failing with an exit code of a FailJob rule fails the Job at once, without replacement', async () => {
    const failing = job('policy', 'exit 1', { backoffLimit: 5 }) as KubeObject & { spec: { podFailurePolicy?: unknown } };
    failing.spec.podFailurePolicy = { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [1] } }] };
    await cluster.kube.create(failing);
    const failed = await ended('policy', 'Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(await podsOf('policy')).toHaveLength(1);
  }, 30_000);

  it('a deleted pod gets SIGTERM and the Job runs a new one, which completes', async () => {
    const script = `if [ -e "$DIR/second" ]; then echo second; exit 0; fi; touch "$DIR/second"; trap 'echo term > "$DIR/termed"; exit 143' TERM; echo first; while true; do sleep 0.05; done`;
    await cluster.kube.create(job('evict', script));
    const first = await until('first pod running', async () => (await podsOf('evict')).find((p) => p.status?.phase === 'Running' && workloads.pods.log(ns, p.metadata.name!)?.includes('first')));
    const kubectl = await execa('kubectl', ['--kubeconfig', cluster.sim.kubeconfigPath, '-n', ns, 'delete', 'pod', first.metadata.name!, '--wait=false'], { reject: false });
    expect(kubectl.exitCode, kubectl.stderr).toBe(0);
    const done = await ended('evict', 'Complete');
    // Without a podFailurePolicy (podReplacementPolicy TerminatingOrFailed) the replacement does not wait for the old process.
    await until('the first pod\'s TERM trap', async () => (existsSync(path.join(dir, 'termed')) ? true : undefined));
    expect(done.status).toMatchObject({ succeeded: 1, failed: 1 });
    // The old pod goes once the kubelet saw its process end (graceful deletion), just after its trap ran.
    const pods = await until('the deleted pod to be removed', async () => {
      const left = await podsOf('evict');
      return left.length === 1 ? left : undefined;
    });
    expect(workloads.pods.log(ns, pods[0]!.metadata.name!)).toBe('second\n');
  }, 30_000);

  it('kubectl logs (and -f) reads the pod log; an eviction through the API ends the pod, not counted against backoffLimit under an Ignore rule', async () => {
    rmSync(path.join(dir, 'second'), { force: true });
    const script = `if [ -e "$DIR/second" ]; then echo second; exit 0; fi; touch "$DIR/second"; echo first; while true; do sleep 0.05; done`;
    const evicted = job('evicted', script) as KubeObject & { spec: { podFailurePolicy?: unknown } };
    evicted.spec.podFailurePolicy = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] };
    await cluster.kube.create(evicted);
    const first = await until('first pod running', async () => (await podsOf('evicted')).find((p) => p.status?.phase === 'Running' && workloads.pods.log(ns, p.metadata.name!)?.includes('first')));
    const kubectl = (...args: string[]) => execa('kubectl', ['--kubeconfig', cluster.sim.kubeconfigPath, '-n', ns, ...args], { reject: false });
    const logs = await kubectl('logs', first.metadata.name!);
    expect(logs.stderr).toBe('');
    expect(logs.stdout).toBe('first');
    const follow = kubectl('logs', '-f', first.metadata.name!);
    // Evicted only once the follow is connected and has shown what was there.
    await new Promise<void>((resolve) => follow.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('first') && resolve()));
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: first.metadata.name, namespace: ns } });
    const evict = await execa('kubectl', ['--kubeconfig', cluster.sim.kubeconfigPath, 'create', '--raw', `/api/v1/namespaces/${ns}/pods/${first.metadata.name}/eviction`, '-f', '-'], { input: eviction, reject: false });
    expect(evict.exitCode, evict.stderr).toBe(0);
    // The follow ends with the evicted pod's process.
    expect((await follow).stdout).toBe('first');
    const done = await ended('evicted', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 1, failed: 0 });
  }, 30_000);

  it('a deleted pod whose process ignores SIGTERM is killed, its whole process group, after terminationGracePeriodSeconds', async () => {
    const stubborn = job('stubborn', `trap '' TERM; (trap '' TERM; while true; do sleep 0.05; done) & echo "child=$!"; while true; do sleep 0.05; done`, { backoffLimit: 0 }) as KubeObject & { spec: { template: { spec: { terminationGracePeriodSeconds?: number } } } };
    stubborn.spec.template.spec.terminationGracePeriodSeconds = 1;
    await cluster.kube.create(stubborn);
    const pod = await until('stubborn pod running', async () => (await podsOf('stubborn')).find((p) => /child=\d+/.test(workloads.pods.log(ns, p.metadata.name!) ?? '')));
    const child = Number(/child=(\d+)/.exec(workloads.pods.log(ns, pod.metadata.name!)!)![1]);
    await cluster.kube.delete({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, namespace: ns });
    // Deleted gracefully, as the API server does: the pod is still there, marked, while its container runs.
    const deleting = await cluster.kube.get<Pod & { metadata: { deletionTimestamp?: string } }>({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, namespace: ns });
    expect(deleting?.metadata.deletionTimestamp).toBeDefined();
    expect(deleting?.status?.phase).toBe('Running');
    const alive = () => {
      try {
        process.kill(child, 0);
        return true;
      } catch {
        return false;
      }
    };
    // Still there during the grace period (it ignores TERM), gone after it: SIGKILL reached the group, the background child too.
    expect(alive()).toBe(true);
    await until('the process group to be killed', async () => (alive() ? undefined : true));
    await ended('stubborn', 'Failed');
    // Removed by the kubelet once its container ended.
    await until('the pod to be removed', async () => ((await podsOf('stubborn')).length === 0 ? true : undefined));
  }, 30_000);

  it('a container killed as the OOM killer does (every process, those in groups of their own too) ends with 137: restartPolicy Never fails the pod and the Job makes a new one', async () => {
    const script = `if [ -e "$DIR/oom-second" ]; then echo second; exit 0; fi; touch "$DIR/oom-second"; setsid sh -c 'while true; do sleep 0.05; done' & echo "child=$!"; while true; do sleep 0.05; done`;
    await cluster.kube.create(job('oom', script, { backoffLimit: 2 }));
    const pod = await until('oom pod running', async () => (await podsOf('oom')).find((p) => /child=\d+/.test(workloads.pods.log(ns, p.metadata.name!) ?? '')));
    const child = Number(/child=(\d+)/.exec(workloads.pods.log(ns, pod.metadata.name!)!)![1]);
    expect(workloads.pods.pid(ns, pod.metadata.name!)).toBeGreaterThan(0);
    expect(workloads.pods.kill(ns, pod.metadata.name!, 'OOMKilled')).toBe(true);
    const done = await ended('oom', 'Complete');
    expect(done.status).toMatchObject({ succeeded: 1, failed: 1 });
    const killed = (await podsOf('oom')).find((p) => p.metadata.name === pod.metadata.name) as Pod & { status: { containerStatuses: { state: { terminated?: object } }[] } };
    expect(killed.status.phase).toBe('Failed');
    expect(killed.status.containerStatuses[0]!.state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    // The process in a session of its own went with the container, as with its cgroup (gone, or a zombie nobody has reaped yet).
    const state = () => (existsSync(`/proc/${child}/stat`) ? readFileSync(`/proc/${child}/stat`, 'utf8').replace(/^.*\) /s, '')[0] : 'gone');
    await until('the background process to end', async () => (['Z', 'X', 'gone'].includes(state() ?? '') ? true : undefined));
  }, 30_000);

  it('restartPolicy OnFailure: a killed container restarts in the same pod after the back-off (restartCount 1, lastState 137); the pod stays Running; restarts count against backoffLimit', async () => {
    const script = `echo "run $(wc -l < "$DIR/restarts" 2>/dev/null || echo 0)"; echo x >> "$DIR/restarts"; while true; do sleep 0.05; done`;
    await cluster.kube.create(job('restarts', script, { backoffLimit: 1, restartPolicy: 'OnFailure' }));
    const pod = await until('restarts pod running', async () => (await podsOf('restarts')).find((p) => workloads.pods.log(ns, p.metadata.name!)?.includes('run')));
    const firstPid = workloads.pods.pid(ns, pod.metadata.name!);
    expect(workloads.pods.kill(ns, pod.metadata.name!)).toBe(true);
    type Restarted = Pod & { status: { containerStatuses: { restartCount: number; state: { running?: object }; lastState?: { terminated?: object } }[] } };
    const restarted = (await until('the container to run again', async () => {
      const [p] = (await podsOf('restarts')) as Restarted[];
      return p?.status.containerStatuses[0]?.restartCount === 1 && p.status.containerStatuses[0].state.running ? p : undefined;
    })) as Restarted;
    expect(restarted.metadata.uid).toBe(pod.metadata.uid);
    expect(restarted.status.phase).toBe('Running');
    expect(restarted.status.containerStatuses[0]!.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(workloads.pods.pid(ns, pod.metadata.name!)).not.toBe(firstPid);
    await until('the second run\'s output', async () => (workloads.pods.log(ns, pod.metadata.name!)?.includes('run 1') ? true : undefined));
    expect((await getJob('restarts'))?.status?.active).toBe(1);
    // A second restart passes backoffLimit 1: the Job fails and its pod is ended.
    expect(workloads.pods.kill(ns, pod.metadata.name!)).toBe(true);
    const failed = await ended('restarts', 'Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    await until('the pod to be gone', async () => ((await podsOf('restarts')).length === 0 ? true : undefined));
  }, 30_000);

  it('activeDeadlineSeconds fails the Job with DeadlineExceeded and ends its running pod', async () => {
    const slow = job('late', `trap 'echo term > "$DIR/late-termed"; exit 143' TERM; while true; do sleep 0.05; done`) as KubeObject & { spec: { activeDeadlineSeconds?: number } };
    slow.spec.activeDeadlineSeconds = 1;
    await cluster.kube.create(slow);
    const failed = await ended('late', 'Failed');
    expect(failed.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(await podsOf('late')).toEqual([]);
    await until('the pod\'s TERM trap', async () => (existsSync(path.join(dir, 'late-termed')) ? true : undefined));
  }, 30_000);

  it('a pod whose env names a Secret key that does not exist stays Pending in CreateContainerConfigError, which submit reports', async () => {
    const broken = job('nokey', 'true') as KubeObject & { spec: { template: { spec: { containers: { env: unknown[] }[] } } } };
    broken.spec.template.spec.containers[0]!.env.push({ name: 'OTHER', valueFrom: { secretKeyRef: { name: 'creds', key: 'missing' } } });
    await cluster.kube.create(broken);
    const pod = await until('CreateContainerConfigError', async () => (await podsOf('nokey')).find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError'));
    expect(pod.status?.phase).toBe('Pending');
    expect(describePodTrouble(await getJob('nokey'), [pod])?.message).toMatch(/cannot start: CreateContainerConfigError: couldn't find key missing in Secret work\/creds/);
  }, 30_000);

  it('an image the simulated registry does not have leaves the pod Pending in ImagePullBackOff, which submit reports', async () => {
    await cluster.kube.create(job('nopull', 'true', { image: 'registry.invalid/nope:1' }));
    const pod = await until('ImagePullBackOff', async () => (await podsOf('nopull')).find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'));
    expect(pod.status?.phase).toBe('Pending');
    const trouble = describePodTrouble(await getJob('nopull'), [pod]);
    expect(trouble).toMatchObject({ fatal: true });
    expect(trouble!.message).toMatch(/cannot start: ImagePullBackOff: failed to pull image "registry.invalid\/nope:1".*pass --image/);
  }, 30_000);
});
