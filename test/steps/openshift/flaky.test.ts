// Retried attempts of configure-image-registry against a flaky API server: transient failures only, and one change in the end.

import { afterEach, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import { configureImageRegistryStep as step } from '../../../src/steps/openshift/image-registry/step.js';
import { createTestContext, runStep } from './context.js';
import { fixture, startCluster, type SimCluster } from './sim.js';

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

it('converges through 503s and cut watches, each retry idempotent (what the engine does with retry.on: [transient])', async () => {
  cluster = await startCluster(fixture('registry-flaky.yaml'), 60);
  const { sim, kube } = cluster;
  const failures: string[] = [];
  let out: Record<string, unknown> | undefined;
  for (let attempt = 1; attempt <= 20 && !out; attempt++) {
    const { ctx } = createTestContext({ clock: sim.clock, kube, timeoutMs: 30 * 60_000 });
    try {
      out = await runStep(step, { storage: { pvc: { create: {} } } }, ctx);
    } catch (error) {
      expect(error).toBeInstanceOf(StepError);
      expect((error as StepError).errorClass).toBe('transient');
      failures.push((error as StepError).message);
    }
  }
  expect(out, failures.join('\n')).toBeDefined();
  expect(failures.length).toBeGreaterThan(0);
  expect(sim.faults()['503']).toBeGreaterThan(0);
  expect(out!.operator).toMatchObject({ available: 'True', progressing: 'False', degraded: 'False' });
  // however many attempts, the claim exists once and the config was changed to the desired state (read in-process: the API is flaky)
  expect(sim.access.list('persistentvolumeclaims', 'openshift-image-registry').map((c) => c.metadata.name)).toEqual(['image-registry-storage']);
  expect(sim.access.get('configs', undefined, 'cluster')!.spec).toMatchObject({
    managementState: 'Managed',
    storage: { pvc: { claim: 'image-registry-storage' } },
    replicas: 1,
    rolloutStrategy: 'Recreate',
  });
});
