// Pods of the simulated kubelet are bound only to Node objects that exist, are Ready and schedulable: the kubelet registers its nodes,
// a pod no node takes stays Pending with kube-scheduler's PodScheduled=False message, and real `kubectl cordon` + `kubectl drain` evicts a
// Job's pod so that its next pod runs on the other node (or waits for the uncordon).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkloads, type Workloads } from '../../src/sim/workloads/index.js';
import { unfitReason, unschedulableMessage } from '../../src/sim/workloads/scheduling.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { until } from '../cli/submit-cluster.js';

let cluster: TestCluster;
let workloads: Workloads;
let dir: string;
let kubeconfig: string;
const stop = new AbortController();
const ns = 'sched';

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = mkdtempSync(path.join(tmpdir(), 'scheduling-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.sim.kubeconfig);
  workloads = startWorkloads(cluster.sim.access, { clock: cluster.sim.clock, startedAt: cluster.sim.startedAt, signal: stop.signal, report: (e) => console.error(e) }, {
    images: { 'sim/bash:1': { command: ['bash', '-c'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } } },
    nodeNames: ['node-a', 'node-b'],
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

type Pod = KubeObject & { metadata: { deletionTimestamp?: string }; spec?: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
const kubectl = (...args: string[]) => execa('kubectl', ['--kubeconfig', kubeconfig, ...args], { reject: false, timeout: 60_000 });
const podsOf = async (job: string) => (await cluster.kube.list<Pod>('v1', 'Pod', { namespace: ns, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
const job = (name: string): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, namespace: ns },
  spec: { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] }, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image: 'sim/bash:1', args: ['sleep 300'] }] } } },
});

describe('scheduling onto Node objects', () => {
  it('the kubelet registers its nodes; kubectl get pod -o wide names a node kubectl get nodes lists', async () => {
    const nodes = await kubectl('get', 'nodes', '-o', 'name');
    expect(nodes.stdout.split('\n')).toEqual(expect.arrayContaining(['node/node-a', 'node/node-b']));
    await cluster.kube.create(job('placed'));
    const [pod] = await until('the pod to run', async () => ((await podsOf('placed')).some((p) => p.status?.phase === 'Running') ? podsOf('placed') : undefined));
    expect(pod!.spec?.nodeName).toBe('node-a');
    const wide = await kubectl('-n', ns, 'get', 'pod', pod!.metadata.name!, '-o', 'wide', '--no-headers');
    expect(wide.stdout.split(/\s+/)).toContain('node-a');
    expect(pod!.status?.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
  });

  it('kubectl cordon + drain evicts the Job pod; its next pod runs on the other node, or stays Pending (Unschedulable) until an uncordon', async () => {
    const [first] = await podsOf('placed');
    expect((await kubectl('cordon', 'node-a')).exitCode).toBe(0);
    const drained = await kubectl('drain', 'node-a', '--ignore-daemonsets', '--delete-emptydir-data', '--pod-selector', 'batch.kubernetes.io/job-name=placed', '--timeout', '60s');
    expect(drained.exitCode, drained.stderr).toBe(0);
    expect(drained.stdout).toContain(`pod/${first!.metadata.name} evicted`);
    const second = await until('the next pod to run on node-b', async () => (await podsOf('placed')).find((p) => p.metadata.name !== first!.metadata.name && p.status?.phase === 'Running'));
    expect(second.spec?.nodeName).toBe('node-b');

    // Both cordoned: the next pod has nowhere to go, and says so as kube-scheduler does.
    expect((await kubectl('cordon', 'node-b')).exitCode).toBe(0);
    expect((await kubectl('drain', 'node-b', '--ignore-daemonsets', '--delete-emptydir-data', '--pod-selector', 'batch.kubernetes.io/job-name=placed', '--timeout', '60s')).exitCode).toBe(0);
    const pending = await until('an Unschedulable pod', async () => (await podsOf('placed')).find((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')));
    expect(pending.spec?.nodeName).toBeUndefined();
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toMatch(/^0\/2 nodes are available: 2 node\(s\) were unschedulable\. /);
    expect((await kubectl('uncordon', 'node-b')).exitCode).toBe(0);
    const resumed = await until('the pending pod to run once node-b is uncordoned', async () => {
      const pod = await cluster.kube.get<Pod>({ apiVersion: 'v1', kind: 'Pod', name: pending.metadata.name!, namespace: ns });
      return pod?.status?.phase === 'Running' ? pod : undefined;
    });
    expect(resumed.spec?.nodeName).toBe('node-b');
    expect(resumed.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
  }, 90_000);

  it('unfitReason: cordon, untolerated taints and NotReady refuse; a toleration lets the pod on; the message counts and sorts reasons', () => {
    const node = (spec: object, ready = 'True'): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec, status: { conditions: [{ type: 'Ready', status: ready }] } });
    const pod = (tolerations: object[] = []) => ({ spec: { tolerations } });
    const taint = { key: 'dedicated', value: 'infra', effect: 'NoSchedule' };
    expect(unfitReason(node({}) as never, pod())).toBeUndefined();
    expect(unfitReason(node({ unschedulable: true }) as never, pod())).toBe('node(s) were unschedulable');
    expect(unfitReason(node({ taints: [taint] }) as never, pod())).toBe('node(s) had untolerated taint {dedicated: infra}');
    expect(unfitReason(node({ taints: [taint] }) as never, pod([{ key: 'dedicated', operator: 'Exists' }]))).toBeUndefined();
    expect(unfitReason(node({ taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }) as never, pod())).toBeUndefined();
    expect(unfitReason(node({}, 'Unknown') as never, pod())).toBe('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
    expect(unschedulableMessage(['node(s) were unschedulable', 'node(s) had untolerated taint {a: }', 'node(s) were unschedulable'])).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {a: }, 2 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    expect(unschedulableMessage([])).toBe('no nodes available to schedule pods');
  });
});
