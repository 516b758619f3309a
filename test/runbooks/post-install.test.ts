// post-install.yaml rehearsed end to end by the real CLI on a cluster whose image registry bootstrapped as Removed,
// and planned (server-side dry runs only) against a running simulation.

import { afterEach, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../src/k8s/client.js';
import { startSimulation, type Simulation } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';

const SCALE = 120;
const SCENARIO = 'runbooks/scenarios/image-registry-removed.yaml';
const REGISTRY = { apiVersion: 'imageregistry.operator.openshift.io/v1', kind: 'Config', name: 'cluster' };

function rehearse(...set: string[]) {
  return runCli(
    ['rehearse', 'runbooks/post-install.yaml', '--scenario', SCENARIO, '--time-scale', String(SCALE), '--output', 'plain', ...set.flatMap((s) => ['--set', s])],
    { timeout: 120_000 },
  );
}

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('runbooks/post-install.yaml', { timeout: 120_000 }, () => {
  it('production (default): ReadWriteOnce claim, Recreate, one replica, every operator settled', async () => {
    const result = await rehearse();
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(0);
    expect(output).toContain('registry-lab: skipped');
    expect(output).toContain('PersistentVolumeClaim openshift-image-registry/image-registry-storage created');
    expect(output).toContain('set rolloutStrategy: Recreate (required by ReadWriteOnce (block) storage)');
    expect(output).toContain('spec.managementState: "Removed" → "Managed"');
    // the last step waits for every operator, image-registry included (14 in the scenario)
    expect(output).toMatch(/settled \| 14 cluster operator\(s\) settled after/);
    expect(output).toMatch(/create\s+persistentvolumeclaims\s+1/);
    expect(output).toMatch(/patch\s+configs\s+1/);
  });

  it('lab: emptyDir with nonProduction, no claim', async () => {
    const result = await rehearse('storage=emptyDir');
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(0);
    expect(output).toContain('registry-production: skipped');
    expect(output).toContain('spec.storage.emptyDir: (unset) → {}');
    expect(output).toMatch(/settled \| 14 cluster operator\(s\) settled after/);
    expect(output).not.toMatch(/create\s+persistentvolumeclaims/);
  });

  it('refuses a storage choice it does not know before anything runs (the input enum), naming the input', async () => {
    const expected = `spec.inputs.storage: --set storage: must be one of "pvc", "emptyDir", got 'emptydir' (did you mean 'emptyDir'?)`;
    const rehearsed = await rehearse('storage=emptydir');
    expect(rehearsed.exitCode, rehearsed.stdout + rehearsed.stderr).toBe(2);
    expect(rehearsed.stderr).toContain(expected);
    expect(rehearsed.stderr).toContain('nothing was run');
    // no cluster behind this kubeconfig: the input is refused before any connection is tried
    for (const command of ['plan', 'run']) {
      const result = await runCli([command, 'runbooks/post-install.yaml', '--kubeconfig', '/nonexistent/kubeconfig', '--set', 'storage=emptydir'], { timeout: 60_000 });
      expect(result.exitCode, `${command}: ${result.stdout}${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(expected);
    }
  });

  it('plans the registry change from a server-side dry run and changes nothing', async () => {
    sim = await startSimulation({ scenario: SCENARIO, timeScale: SCALE });
    const result = await runCli(['plan', 'runbooks/post-install.yaml', '--kubeconfig', sim.kubeconfigPath], { timeout: 60_000 });
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(0);
    expect(output).toContain('~ spec.managementState: "Removed" → "Managed"');
    expect(output).toContain('+ PersistentVolumeClaim openshift-image-registry/image-registry-storage (100Gi, ReadWriteOnce, default storage class)');
    const kube = await createKubeClient({ kubeconfigPath: sim.kubeconfigPath });
    const config = await kube.get(REGISTRY);
    expect(config!.spec).toMatchObject({ managementState: 'Removed' });
    expect(await kube.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'openshift-image-registry', name: 'image-registry-storage' })).toBeUndefined();
  });
});
