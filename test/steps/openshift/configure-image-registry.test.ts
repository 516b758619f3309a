import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import { configureImageRegistryStep as step } from '../../../src/steps/openshift/image-registry/step.js';
import { steps } from '../../../src/steps/openshift/index.js';
import { REGISTRY_CONFIG } from '../../../src/steps/openshift/resources.js';
import { createPlanContext, createTestContext, planStep, prepareParams, runStep } from './context.js';
import { bundledScenario, startCluster, type SimCluster } from './sim.js';

const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'openshift-image-registry' };

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function start(): Promise<SimCluster> {
  // the scenario's own 60×: its 2-minute registry rollout lasts 2 s, long enough to watch it even on a loaded machine
  cluster = await startCluster(bundledScenario('image-registry-removed'), 60);
  return cluster;
}

async function readSpec(c: SimCluster): Promise<Record<string, unknown>> {
  const config = await c.kube.get(REGISTRY_CONFIG);
  return config!.spec as Record<string, unknown>;
}

function issuesOf(raw: Record<string, unknown>): { path: string; message: string }[] {
  try {
    prepareParams(step, raw);
    return [];
  } catch (error) {
    return (error as StepError).details as { path: string; message: string }[];
  }
}

describe('configure-image-registry', () => {
  it('is registered', () => {
    expect(steps.map((s) => s.type)).toContain('configure-image-registry');
  });

  it('emptyDir (lab): sets Managed, emptyDir and one replica, then waits for the operator', async () => {
    const c = await start();
    expect(await readSpec(c)).toMatchObject({ managementState: 'Removed' });
    const { ctx, recorded } = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    const out = await runStep(step, { storage: { emptyDir: {} }, nonProduction: true }, ctx);
    expect(out.patched).toBe(true);
    expect(out.defaultsApplied).toEqual(['replicas: 1 (required by emptyDir storage; no high availability)']);
    expect(out.changed).toEqual(expect.arrayContaining(['spec.managementState: "Removed" → "Managed"', 'spec.storage.emptyDir: (unset) → {}']));
    expect(out.pvc).toBeNull();
    expect(out.operator).toMatchObject({ name: 'image-registry', available: 'True', progressing: 'False', degraded: 'False' });
    // not the stale "removed" state the operator reported before it saw the patch (observedGeneration is waited for)
    expect(out.operator).toMatchObject({ conditions: { Available: { reason: 'Ready', message: 'The registry is ready' } } });
    expect(await readSpec(c)).toMatchObject({ managementState: 'Managed', storage: { emptyDir: {} }, replicas: 1 });
    // the live detail showed the operator's own reason while it rolled out
    expect(recorded.progress.length).toBeGreaterThan(0);
    expect(recorded.progress.some((p) => /^image-registry (Available|Progressing|Degraded)=/.test(p) || p.startsWith('waiting for the operator'))).toBe(true);
  });

  it('ReadWriteOnce PVC (production): creates the claim and sets Recreate with one replica, saying so', async () => {
    const c = await start();
    const { ctx, recorded } = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    const out = await runStep(step, { storage: { pvc: { create: {} } } }, ctx);
    expect(out.defaultsApplied).toEqual([
      'rolloutStrategy: Recreate (required by ReadWriteOnce (block) storage)',
      'replicas: 1 (required by ReadWriteOnce (block) storage; no high availability)',
    ]);
    expect(recorded.logs).toContain('set rolloutStrategy: Recreate (required by ReadWriteOnce (block) storage)');
    expect(out.pvc).toEqual({ name: 'image-registry-storage', created: true });
    const pvc = (await c.kube.get({ ...PVC, name: 'image-registry-storage' })) as KubeObject;
    expect(pvc.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } });
    expect(await readSpec(c)).toMatchObject({
      managementState: 'Managed',
      storage: { pvc: { claim: 'image-registry-storage' } },
      replicas: 1,
      rolloutStrategy: 'Recreate',
    });
    expect(out.operator).toMatchObject({ available: 'True', progressing: 'False', degraded: 'False' });
  });

  it('is idempotent: a second run sends no patch and creates nothing', async () => {
    const c = await start();
    const params = { storage: { pvc: { create: { size: '50Gi', storageClassName: 'thin' } } } };
    const first = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    expect((await runStep(step, params, first.ctx)).patched).toBe(true);
    const before = c.sim.counters();
    // the counters do see our writes (so the equalities below can fail)
    expect(before['patch configs']).toBe(1);
    expect(before['create persistentvolumeclaims']).toBe(1);
    const second = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    const out = await runStep(step, params, second.ctx);
    const after = c.sim.counters();
    expect(out).toMatchObject({ patched: false, changed: [], pvc: { name: 'image-registry-storage', created: false } });
    expect(after['patch configs']).toBe(1);
    expect(after['create persistentvolumeclaims']).toBe(1);
    expect(after['get configs']).toBe(before['get configs']! + 1);
    expect(second.recorded.logs).toContain('configs.imageregistry.operator.openshift.io/cluster already as desired; nothing sent');
  });

  it('with wait: false returns right after the patch', async () => {
    const c = await start();
    const { ctx } = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    const out = await runStep(step, { storage: { emptyDir: {} }, nonProduction: true, wait: false }, ctx);
    expect(out).toMatchObject({ patched: true, operator: null });
    const counters = c.sim.counters();
    expect(counters['patch configs']).toBe(1);
    expect(counters['watch clusteroperators'] ?? 0).toBe(0);
  });

  it('does not wait on an Unmanaged registry (the operator ignores its config)', async () => {
    const c = await start();
    const { ctx, recorded } = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    const out = await runStep(step, { managementState: 'Unmanaged' }, ctx);
    expect(out).toMatchObject({ patched: true, changed: ['spec.managementState: "Removed" → "Unmanaged"'], operator: null });
    expect(recorded.logs).toContain('managementState Unmanaged: the operator does not act on the config; not waiting for it');
  });

  it('plan shows the diff from a server-side dry run and the claim it would create, changing nothing', async () => {
    const c = await start();
    const before = await readSpec(c);
    const preview = await planStep(step, { storage: { pvc: { create: {} } } }, createPlanContext(c.kube, c.sim.clock));
    expect(preview.summary).toMatch(/^would change \d+ field\(s\) of configs.imageregistry.operator.openshift.io\/cluster and create its PersistentVolumeClaim$/);
    expect(preview.summary).toContain('would change 3 field(s)');
    expect(preview.lines).toEqual([
      'default: rolloutStrategy: Recreate (required by ReadWriteOnce (block) storage)',
      'default: replicas: 1 (required by ReadWriteOnce (block) storage; no high availability)',
      '+ PersistentVolumeClaim openshift-image-registry/image-registry-storage (100Gi, ReadWriteOnce, default storage class)',
      '~ spec.managementState: "Removed" → "Managed"',
      '~ spec.rolloutStrategy: "RollingUpdate" → "Recreate"',
      '~ spec.storage.pvc.claim: (unset) → "image-registry-storage"',
    ]);
    expect(await readSpec(c)).toEqual(before);
    expect(await c.kube.get({ ...PVC, name: 'image-registry-storage' })).toBeUndefined();
  });

  it('checks an existing ReadWriteOnce claim at run time: fills the rule, refuses replicas set otherwise', async () => {
    const c = await start();
    await c.kube.create({
      ...PVC,
      metadata: { name: 'registry-block', namespace: PVC.namespace },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
    });
    const bad = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    const error = (await runStep(step, { storage: { pvc: { claim: 'registry-block' } }, replicas: 2 }, bad.ctx).catch((e: unknown) => e)) as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toBe('replicas: ReadWriteOnce claim registry-block requires replicas: 1 (got 2)');
    expect(await readSpec(c)).toMatchObject({ managementState: 'Removed' });
    const good = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
    const out = await runStep(step, { storage: { pvc: { claim: 'registry-block' } } }, good.ctx);
    expect(out.defaultsApplied).toHaveLength(2);
    expect(await readSpec(c)).toMatchObject({ storage: { pvc: { claim: 'registry-block' } }, replicas: 1, rolloutStrategy: 'Recreate' });
  });

  describe('while waiting, an operator that degrades', () => {
    // Deletes the claim right after the patch, while the registry rolls out; the operator then reports PVCNotFound.
    function deleteClaimAfterPatch(c: SimCluster, ctx: ReturnType<typeof createTestContext>['ctx'], recreateAfterMs?: number): void {
      const log = ctx.log;
      ctx.log = (line) => {
        log(line);
        if (!line.startsWith('patched ')) return;
        void (async () => {
          const pvc = await c.kube.get({ ...PVC, name: 'image-registry-storage' });
          await c.kube.delete({ ...PVC, name: 'image-registry-storage' });
          if (recreateAfterMs === undefined) return;
          await c.sim.clock.sleep(recreateAfterMs);
          await c.kube.create({ ...PVC, metadata: { name: 'image-registry-storage', namespace: PVC.namespace }, spec: pvc!.spec });
        })();
      };
    }

    it('fails with the operator\'s Degraded message once it lasts longer than degradedGrace', async () => {
      const c = await start();
      const { ctx, recorded } = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
      deleteClaimAfterPatch(c, ctx);
      const error = (await runStep(step, { storage: { pvc: { create: {} } }, degradedGrace: '1m' }, ctx).catch((e: unknown) => e)) as StepError;
      expect(error).toBeInstanceOf(StepError);
      expect(error.errorClass).toBe('permanent');
      expect(error.message).toMatch(
        /^image-registry operator is Degraded for 1m\d*s?: PVCNotFound: Degraded: persistentvolumeclaim "image-registry-storage" not found/,
      );
      expect(recorded.progress).toContain(
        'image-registry Degraded=True (PVCNotFound: Degraded: persistentvolumeclaim "image-registry-storage" not found in namespace openshift-image-registry)',
      );
      expect(recorded.reports[0]!.rows[0]!.slice(0, 4)).toEqual(['image-registry', 'False', 'False', 'True']);
    });

    it('is waited out when Degraded passes within the grace', async () => {
      const c = await start();
      const { ctx, recorded } = createTestContext({ clock: c.sim.clock, kube: c.kube, timeoutMs: 30 * 60_000 });
      deleteClaimAfterPatch(c, ctx, 30_000);
      const out = await runStep(step, { storage: { pvc: { create: {} } } }, ctx);
      expect(out.operator).toMatchObject({ available: 'True', progressing: 'False', degraded: 'False' });
      expect(recorded.progress.some((p) => p.startsWith('image-registry Degraded=True (PVCNotFound'))).toBe(true);
    });
  });

  describe('rejected at validation, before touching the cluster', () => {
    it('emptyDir without nonProduction', () => {
      expect(issuesOf({ storage: { emptyDir: {} } })).toEqual([
        { path: 'storage.emptyDir', message: expect.stringContaining('for non-production clusters only — set nonProduction: true') },
      ]);
    });

    it('emptyDir with more than one replica', () => {
      expect(issuesOf({ storage: { emptyDir: {} }, nonProduction: true, replicas: 2 })).toEqual([
        { path: 'replicas', message: 'emptyDir storage requires replicas: 1 (got 2)' },
      ]);
    });

    it('ReadWriteOnce with RollingUpdate or several replicas', () => {
      expect(issuesOf({ storage: { pvc: { create: { accessMode: 'ReadWriteOnce' } } }, rolloutStrategy: 'RollingUpdate', replicas: 3 })).toEqual([
        { path: 'rolloutStrategy', message: expect.stringMatching(/^ReadWriteOnce \(block\) storage requires rolloutStrategy: Recreate \(got RollingUpdate\)/) },
        { path: 'replicas', message: 'ReadWriteOnce (block) storage requires replicas: 1 (got 3)' },
      ]);
      // ReadWriteOnce is the default access mode of a created claim
      expect(issuesOf({ storage: { pvc: { create: {} } }, replicas: 2 }).map((i) => i.path)).toEqual(['replicas']);
    });

    it('a claim name that contradicts pvc.create', () => {
      expect(issuesOf({ storage: { pvc: { claim: 'a', create: { name: 'b' } } } })[0]!.path).toBe('storage.pvc.claim');
    });

    it('two storage backends, or an unknown management state (schema)', () => {
      expect(issuesOf({ storage: { emptyDir: {}, pvc: {} }, nonProduction: true }).length).toBeGreaterThan(0);
      expect(issuesOf({ managementState: 'On' }).length).toBeGreaterThan(0);
    });

    it('accepts ReadWriteMany with several replicas and passes other backends through', () => {
      expect(issuesOf({ storage: { pvc: { create: { accessMode: 'ReadWriteMany' } } }, replicas: 2, rolloutStrategy: 'RollingUpdate' })).toEqual([]);
      const p = prepareParams<Record<string, unknown>>(step, { storage: { s3: { bucket: 'b', region: 'eu-west-1' } }, replicas: 2 });
      expect(p).toMatchObject({ storage: { s3: { bucket: 'b', region: 'eu-west-1' } }, replicas: 2, defaultsApplied: [] });
    });
  });
});
