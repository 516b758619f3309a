// The k8s steps in a real runbook file, run and planned by the real CLI against the simulated cluster.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/k8s/types.js';
import { runCli } from '../../helpers/cli.js';
import { mutatingCounts, startTestCluster, type TestCluster } from '../../k8s/helpers.js';

let cluster: TestCluster;
let dir: string;

const RUNBOOK = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: k8s-steps-e2e }
spec:
  inputs:
    level: { type: string, default: debug }
  steps:
    - id: apply
      uses: k8s-apply
      with:
        manifests:
          - apiVersion: v1
            kind: ConfigMap
            metadata: { name: e2e-settings, namespace: default }
            data: { level: info, owner: sre }
    - id: patch
      uses: k8s-patch
      needs: [apply]
      with:
        resource: configmap/e2e-settings
        namespace: default
        patch: { data: { level: "\${{ inputs.level }}" } }
    - id: wait
      uses: k8s-wait
      needs: [patch]
      with:
        resource: configmap/e2e-settings
        namespace: default
        condition: object.data.level == 'debug'
    - id: read
      uses: k8s-get
      needs: [wait]
      with:
        resource: clusterversion/version
        value: object.spec.clusterID
    - id: show
      needs: [read, apply]
      run: echo "cluster=$CLUSTER created=$CREATED"
      env:
        CLUSTER: "\${{ steps.read.outputs.value }}"
        CREATED: "\${{ steps.apply.outputs.created.join(',') }}"
`;

beforeAll(async () => {
  cluster = await startTestCluster({ flavour: 'openshift', cluster: { clusterID: 'e2e-cluster-id' } });
  dir = await mkdtemp(join(tmpdir(), 'opsbook-k8s-e2e-'));
  await writeFile(join(dir, 'k8s.yaml'), RUNBOOK);
});

afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cli = (command: string) =>
  runCli([command, join(dir, 'k8s.yaml'), '--kubeconfig', cluster.sim.kubeconfigPath, ...(command === 'run' ? ['--state-dir', join(dir, 'state')] : [])], {
    timeout: 60_000,
  });

describe('k8s steps in a runbook', { timeout: 120_000 }, () => {
  it('plans without changing the cluster, then runs and passes outputs along', async () => {
    const before = await cluster.clusterResourceVersion();
    const mutatingBefore = mutatingCounts(cluster.counters());
    const planned = await cli('plan');
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('would create 1, change 0, leave 0 unchanged');
    expect(await cluster.clusterResourceVersion()).toBe(before);
    expect(mutatingCounts(cluster.counters())).toEqual(mutatingBefore); // only "(dryRun)" requests
    expect(cluster.counters()['patch(dryRun) configmaps']).toBeGreaterThan(0);

    const ran = await cli('run');
    expect(ran.exitCode, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toContain('cluster=e2e-cluster-id created=configmap/e2e-settings -n default');
    const live = await cluster.kube.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', name: 'e2e-settings', namespace: 'default' });
    expect(live?.data).toEqual({ level: 'debug', owner: 'sre' });
  });
});
