// The k8s steps' optional `kubeconfig`: with two clusters (the run's "admin" one and a target), the step acts on the
// cluster of the given file only.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/k8s/types.js';
import { k8sGet } from '../../../src/steps/k8s/get.js';
import { k8sRolloutRestart, RESTARTED_AT } from '../../../src/steps/k8s/rollout-restart.js';
import { validateStepParams } from '../../../src/runbook/params.js';
import { createStepContext, startTestCluster, type TestCluster } from '../../k8s/helpers.js';

let admin: TestCluster;
let target: TestCluster;
let dir: string;

const workloads = [{ kind: 'DaemonSet' as const, namespace: 'kube-system', name: 'etcd-defrag', replicas: 1, rolloutDuration: '10s' }];

beforeAll(async () => {
  [admin, target] = await Promise.all([
    startTestCluster({ timeScale: 20, nodes: [{ name: 'admin-cp', roles: ['control-plane'], ready: true }], workloads }),
    startTestCluster({ timeScale: 20, nodes: [{ name: 'target-cp', roles: ['control-plane'], ready: true }], workloads }),
  ]);
  dir = await mkdtemp(join(tmpdir(), 'opsbook-k8s-kubeconfig-'));
  await writeFile(join(dir, 'target.kubeconfig'), target.sim.kubeconfig, { mode: 0o600 });
});

afterAll(async () => {
  await Promise.all([admin?.stop(), target?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Workload = KubeObject & { spec: { template: { metadata?: { annotations?: Record<string, string> } } } };
const restartedAt = async (cluster: TestCluster) =>
  (await cluster.kube.get<Workload>({ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'etcd-defrag', namespace: 'kube-system' }))
    ?.spec.template.metadata?.annotations?.[RESTARTED_AT];

describe('k8s steps with kubeconfig', () => {
  it('k8s-rollout-restart restarts the workload in the kubeconfig\'s cluster, not the run\'s', async () => {
    const params = { resource: 'daemonset/etcd-defrag', namespace: 'kube-system', kubeconfig: 'target.kubeconfig' };
    expect(validateStepParams(k8sRolloutRestart, params)).toEqual([]);
    const { ctx } = createStepContext(admin.kube, { clock: target.sim.clock, cwd: dir, timeoutMs: 60_000 });
    const outputs = await k8sRolloutRestart.run(k8sRolloutRestart.normalize!(params), ctx);
    expect(outputs.status).toBe('daemon set "etcd-defrag" successfully rolled out');
    expect(await restartedAt(target)).toBe(outputs.restartedAt);
    expect(await restartedAt(admin)).toBeUndefined();
  });

  it('k8s-get reads from the kubeconfig\'s cluster (absolute path); without it, from the run\'s', async () => {
    const { ctx } = createStepContext(admin.kube, { clock: admin.sim.clock, cwd: '/' });
    const names = async (extra: Record<string, unknown>) =>
      ((await k8sGet.run(k8sGet.normalize!({ apiVersion: 'v1', kind: 'Node', value: 'items.map(n, n.metadata.name)', ...extra }), ctx)).value);
    expect(await names({ kubeconfig: join(dir, 'target.kubeconfig') })).toEqual(['target-cp']);
    expect(await names({})).toEqual(['admin-cp']);
  });

  it('a missing kubeconfig file fails naming the file', async () => {
    const { ctx } = createStepContext(admin.kube, { clock: admin.sim.clock, cwd: dir });
    await expect(k8sGet.run(k8sGet.normalize!({ resource: 'nodes', kubeconfig: 'nope.kubeconfig' }), ctx)).rejects.toThrow(/cannot read kubeconfig .*nope\.kubeconfig/);
  });
});
