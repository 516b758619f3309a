// Issue 16: a k8s-apply manifest whose name/namespace are `${{ }}` templates validates, runs, and is refused clearly
// once it evaluates to something kube-apiserver would not take, through the real CLI against the simulated cluster.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { mutatingCounts, startTestCluster, type TestCluster } from '../../k8s/helpers.js';

const RUNBOOK = fileURLToPath(new URL('./fixtures/templated-name.yaml', import.meta.url));

let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = await mkdtemp(join(tmpdir(), 'opsbook-k8s-templated-'));
});

afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cli = (command: 'validate' | 'plan' | 'run', ...sets: string[]) =>
  runCli([
    command, RUNBOOK,
    ...(command === 'validate' ? [] : ['--kubeconfig', cluster.sim.kubeconfigPath]),
    ...(command === 'run' ? ['--state-dir', join(dir, 'state')] : []),
    ...sets.flatMap((s) => ['--set', s]),
  ], { timeout: 60_000 });

const configMap = (name: string) => cluster.sim.access.get('configmaps', 'default', name);

describe('k8s-apply with a templated name (CLI)', { timeout: 120_000 }, () => {
  it('validate accepts the templated name and namespace', async () => {
    const r = await cli('validate');
    expect(r.stdout + r.stderr).not.toMatch(/metadata\.name is missing/);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  it('plan previews and run creates crash-<tag>', async () => {
    const planned = await cli('plan', 'tag=b2');
    expect(planned.exitCode, planned.stdout + planned.stderr).toBe(0);
    expect(planned.stdout).toContain('configmap/crash-b2 -n default');
    expect(configMap('crash-b2')).toBeUndefined();
    const ran = await cli('run', 'tag=b2');
    expect(ran.exitCode, ran.stdout + ran.stderr).toBe(0);
    expect(configMap('crash-b2')).toMatchObject({ data: { tag: 'b2' } });
  });

  it('a name that evaluates to an invalid DNS name fails at plan and run, naming the field and the value', async () => {
    const before = mutatingCounts(cluster.counters());
    const planned = await cli('plan', 'tag=Bad_Tag');
    expect(planned.stdout + planned.stderr).toMatch(/manifests\[0\]\.metadata\.name: ConfigMap name must be a DNS-1123 subdomain .*got "crash-Bad_Tag"/);
    const ran = await cli('run', 'tag=Bad_Tag');
    expect(ran.exitCode).toBe(1);
    expect(ran.stdout + ran.stderr).toMatch(/manifests\[0\]\.metadata\.name: ConfigMap name must be a DNS-1123 subdomain .*got "crash-Bad_Tag"/);
    expect(mutatingCounts(cluster.counters())).toEqual(before); // refused before any request
  });

  it('a namespace that evaluates to "" fails at run with a clear message', async () => {
    const ran = await cli('run', 'namespace=');
    expect(ran.exitCode).toBe(1);
    expect(ran.stdout + ran.stderr).toMatch(/manifests\[0\]\.metadata\.namespace: ConfigMap namespace must not be empty, got ""/);
  });
});
