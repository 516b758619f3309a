// Each generic k8s step against the simulated API server through the real client; plans must store nothing.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import type { KubeObject } from '../../../src/k8s/types.js';
import { k8sApply, type ApplyParams } from '../../../src/steps/k8s/apply.js';
import { k8sGet, type GetParams } from '../../../src/steps/k8s/get.js';
import { k8sPatch, type PatchParams } from '../../../src/steps/k8s/patch.js';
import { k8sRolloutRestart, RESTARTED_AT, type RolloutRestartParams } from '../../../src/steps/k8s/rollout-restart.js';
import { k8sWait, type WaitParams } from '../../../src/steps/k8s/wait.js';
import type { StepType } from '../../../src/steps/types.js';
import { configMap, createPlanContext, createStepContext, mutatingCounts, startTestCluster, type TestCluster } from '../../k8s/helpers.js';

let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startTestCluster({
    flavour: 'openshift',
    timeScale: 20,
    cluster: { clusterID: '3c2e7a30-5a1f-4d3e-9b7a-1f0c6d2e8a44' },
    nodes: ['master-0', 'master-1', 'master-2'].map((name) => ({ name, roles: ['master'], ready: true })),
    // 20 simulated seconds = 1 real second: long enough to be seen rolling, short enough for a unit test
    workloads: [
      { kind: 'DaemonSet', namespace: 'kube-system', name: 'etcd-defrag', replicas: 3, rolloutDuration: '20s' },
      { kind: 'Deployment', namespace: 'default', name: 'web', replicas: 2, rolloutDuration: '20s' },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'opsbook-k8s-steps-'));
});

afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Validates like the engine would (check + normalize), then runs. */
let stepCounter = 0;

const dryRunCount = (counters: Record<string, number>) =>
  Object.entries(counters).filter(([key]) => key.includes('(dryRun) ')).reduce((sum, [, n]) => sum + n, 0);

async function run<P, O extends Record<string, unknown>>(
  step: StepType<P, O>,
  params: Record<string, unknown>,
  timeoutMs = 30_000,
  identity: { stepId?: string; attempt?: number } = {},
) {
  expect(step.check?.(params) ?? []).toEqual([]);
  const p = step.normalize ? step.normalize(params) : (params as P);
  const stepId = identity.stepId ?? `step-${++stepCounter}`;
  const { ctx, recorded } = createStepContext(cluster.kube, { clock: cluster.sim.clock, timeoutMs, cwd: dir, stepId, attempt: identity.attempt });
  const outputs = await step.run(p, ctx);
  return { outputs, recorded };
}

/** Runs the plan and proves it stored nothing: same cluster resourceVersion, no mutating request without dryRun. */
async function plan<P>(step: StepType<P>, params: Record<string, unknown>) {
  const p = step.normalize ? step.normalize(params) : (params as P);
  const before = await cluster.clusterResourceVersion();
  const mutatingBefore = mutatingCounts(cluster.counters());
  const dryRunBefore = dryRunCount(cluster.counters());
  const preview = await step.plan!(p, createPlanContext(cluster.kube, cluster.sim.clock, dir));
  expect(await cluster.clusterResourceVersion()).toBe(before);
  // the sim counts dry runs as "patch(dryRun) …": a plan may send those, never a real mutation
  expect(mutatingCounts(cluster.counters())).toEqual(mutatingBefore);
  if (step.mutating) expect(dryRunCount(cluster.counters())).toBeGreaterThan(dryRunBefore);
  return preview;
}

describe('k8s-apply', () => {
  const manifests = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'apply-test' }, data: { level: 'info' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apply-test' } },
  ];

  it('creates, then finds everything unchanged, then reports what changed', async () => {
    const first = await run(k8sApply, { manifests } satisfies Partial<ApplyParams>);
    expect(first.outputs.created).toEqual(['namespace/apply-test', 'configmap/app-config -n apply-test']);
    const again = await run(k8sApply, { manifests });
    expect(again.outputs).toMatchObject({ created: [], changed: [], unchanged: ['namespace/apply-test', 'configmap/app-config -n apply-test'] });
    const changedManifests = [manifests[0]!, manifests[1]!].map((m) => (m.kind === 'ConfigMap' ? { ...m, data: { level: 'debug' } } : m));

    const preview = await plan(k8sApply, { manifests: changedManifests });
    expect(preview.summary).toBe('would create 0, change 1, leave 1 unchanged');
    expect(preview.lines).toEqual(['configmap/app-config -n apply-test: data.level: "info" → "debug"']);

    const third = await run(k8sApply, { manifests: changedManifests });
    expect(third.outputs.changed).toEqual(['configmap/app-config -n apply-test']);
    const live = await cluster.kube.get<KubeObject & { data: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', name: 'app-config', namespace: 'apply-test' });
    expect(live?.data.level).toBe('debug');
  });

  it('applies multi-document YAML files and YAML text', async () => {
    await writeFile(join(dir, 'objects.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file-1}\ndata: {a: "1"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file-2}\n');
    const { outputs } = await run(k8sApply, {
      files: ['objects.yaml'],
      manifests: 'apiVersion: v1\nkind: Secret\nmetadata: {name: from-text}\nstringData: {k: v}\n',
      namespace: 'default',
    });
    expect(outputs.created).toEqual(['secret/from-text -n default', 'configmap/from-file-1 -n default', 'configmap/from-file-2 -n default']);
    expect(outputs.objects[1]).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', name: 'from-file-1', namespace: 'default', action: 'created' });
  });

  it('applies server-side: the live object records field manager opsbook with operation Apply', async () => {
    await run(k8sApply, { manifests: [configMap('managed-by-apply', { owner: 'opsbook' })] });
    const live = await cluster.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'managed-by-apply', namespace: 'default' });
    const entries = (live?.metadata.managedFields ?? []) as Array<{ manager?: string; operation?: string; fieldsV1?: { 'f:data'?: object } }>;
    expect(entries).toEqual([expect.objectContaining({ manager: 'opsbook', operation: 'Apply', fieldsType: 'FieldsV1' })]);
    expect(entries[0]?.fieldsV1?.['f:data']).toEqual({ 'f:owner': {} });
  });

  it('plans a creation without creating', async () => {
    const preview = await plan(k8sApply, { manifests: [configMap('planned-only', { x: '1' })] });
    expect(preview.summary).toBe('would create 1, change 0, leave 0 unchanged');
    expect(await cluster.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'planned-only', namespace: 'default' })).toBeUndefined();
  });
});

describe('k8s-patch', () => {
  it('patches (merge by default), then sends nothing when already patched', async () => {
    await cluster.kube.create(configMap('patch-me', { a: '1' }));
    const params = { resource: 'configmap/patch-me', namespace: 'default', patch: { data: { a: '2' } } } satisfies Partial<PatchParams>;
    const preview = await plan(k8sPatch, params);
    expect(preview).toMatchObject({ summary: 'would patch configmap/patch-me -n default (1 field)', lines: ['data.a: "1" → "2"'] });
    const first = await run(k8sPatch, params);
    expect(first.outputs).toMatchObject({ changed: true, changes: ['data.a: "1" → "2"'] });
    const rv = await cluster.clusterResourceVersion();
    const second = await run(k8sPatch, params);
    expect(second.outputs.changed).toBe(false);
    expect(await cluster.clusterResourceVersion()).toBe(rv);
  });

  it('applies json and strategic patches, given as objects or text', async () => {
    await cluster.kube.create(configMap('patch-types', { a: '1' }));
    const json = await run(k8sPatch, {
      apiVersion: 'v1', kind: 'ConfigMap', name: 'patch-types', namespace: 'default', type: 'json',
      patch: '[{"op": "add", "path": "/data/b", "value": "2"}]',
    });
    expect(json.outputs.changes).toEqual(['data.b: (none) → "2"']);
    const strategic = await run(k8sPatch, {
      apiVersion: 'v1', kind: 'ConfigMap', name: 'patch-types', namespace: 'default', type: 'strategic', patch: 'metadata:\n  labels:\n    tier: gold\n',
    });
    expect(strategic.outputs.changes).toEqual(['metadata.labels: (none) → {"tier":"gold"}']);
  });

  it('fails permanently on a missing object', async () => {
    const error = await run(k8sPatch, { resource: 'configmap/absent', namespace: 'default', patch: { data: {} } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorClass).toBe('permanent');
    expect((error as StepError).message).toBe('configmap/absent -n default not found');
    const unnamed = await run(k8sPatch, { resource: 'configmaps', namespace: 'default', patch: { data: {} } }).catch((e: unknown) => e);
    expect((unnamed as StepError).message).toBe('configmaps -n default: name one object (e.g. resource: configmaps/NAME, or name:)');
  });
});

describe('k8s-get', () => {
  it('computes the cluster id from clusterversion/version with CEL', async () => {
    const { outputs } = await run(k8sGet, { resource: 'clusterversion/version', value: 'object.spec.clusterID' } satisfies Partial<GetParams>);
    expect(outputs.value).toBe('3c2e7a30-5a1f-4d3e-9b7a-1f0c6d2e8a44');
    expect(outputs.found).toBe(true);
    expect(outputs.object?.kind).toBe('ClusterVersion');
  });

  it('lists with selectors and computes over items; missing objects fail or report found=false', async () => {
    for (const n of ['g1', 'g2', 'g3']) await cluster.kube.create(configMap(n, {}, 'default', { group: n === 'g3' ? 'b' : 'a' }));
    const { outputs } = await run(k8sGet, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', labelSelector: 'group=a', value: 'items.map(i, i.metadata.name)' });
    expect(outputs).toMatchObject({ count: 2, value: ['g1', 'g2'] });
    const missing = await run(k8sGet, { resource: 'configmap/none', namespace: 'default' }).catch((e: unknown) => e);
    expect((missing as StepError).message).toBe('configmap/none -n default not found');
    const tolerated = await run(k8sGet, { resource: 'configmap/none', namespace: 'default', ignoreNotFound: true });
    expect(tolerated.outputs).toMatchObject({ found: false, count: 0 });
  });
});

describe('k8s-wait', () => {
  const ready = "has(object.data.ready) && object.data.ready == 'yes'";

  it('waits (watching) for a condition that becomes true later, showing progress', async () => {
    await cluster.kube.create(configMap('wait-me', { ready: 'no' }));
    setTimeout(() => {
      void cluster.kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'wait-me', namespace: 'default' }, { data: { ready: 'yes' } });
    }, 100);
    const watchesBefore = cluster.counters()['watch configmaps'] ?? 0;
    const { outputs, recorded } = await run(k8sWait, { resource: 'configmap/wait-me', namespace: 'default', condition: ready } satisfies Partial<WaitParams>);
    expect((outputs.object as KubeObject & { data: Record<string, string> }).data.ready).toBe('yes');
    expect(outputs.matched).toEqual(['default/wait-me']);
    expect(recorded.progress[0]).toMatch(/^condition false/);
    expect((cluster.counters()['watch configmaps'] ?? 0) - watchesBefore).toBe(1);
  });

  it('waits for all or any objects a selector matches', async () => {
    await cluster.kube.create(configMap('sel-a', { ready: 'yes' }, 'default', { sel: 'w' }));
    await cluster.kube.create(configMap('sel-b', { ready: 'no' }, 'default', { sel: 'w' }));
    const any = await run(k8sWait, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', labelSelector: 'sel=w', condition: ready, for: 'any' });
    expect(any.outputs.matched).toEqual(['default/sel-a']);
    setTimeout(() => {
      void cluster.kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'sel-b', namespace: 'default' }, { data: { ready: 'yes' } });
    }, 100);
    const all = await run(k8sWait, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', labelSelector: 'sel=w', condition: ready });
    expect(all.outputs.matched.sort()).toEqual(['default/sel-a', 'default/sel-b']);
    expect(all.recorded.progress).toContain('1/2 match (waiting for default/sel-b)');
  });

  it('waits for deletion', async () => {
    await cluster.kube.create(configMap('doomed', {}));
    setTimeout(() => {
      void cluster.kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'doomed', namespace: 'default' });
    }, 100);
    const { recorded } = await run(k8sWait, { resource: 'configmap/doomed', namespace: 'default', deleted: true });
    expect(recorded.progress).toEqual(['still present: default/doomed', 'deleted']);
  });

  it('times out with the last seen state', async () => {
    await cluster.kube.create(configMap('never', { ready: 'no' }));
    const error = await run(k8sWait, { resource: 'configmap/never', namespace: 'default', condition: ready }, 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorClass).toBe('timeout');
    expect((error as StepError).message).toMatch(/^timed out waiting for configmap\/never -n default to satisfy `has\(object\.data\.ready\).*`; last seen: condition false/);
  });
});

describe('Secret values', () => {
  it('never reach outputs or plan lines', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'default' }, data: { token: b64('s3cr3t-one') } };
    await run(k8sApply, { manifests: [secret] });
    const got = await run(k8sGet, { resource: 'secret/creds', namespace: 'default', value: 'object.data.token' });
    expect(JSON.stringify(got.outputs)).not.toMatch(/s3cr3t|czNjcjN0/);
    expect((got.outputs.object as KubeObject & { data: Record<string, string> }).data).toEqual({ token: '***' });
    expect(got.outputs.value).toBe('***');

    const preview = await plan(k8sApply, { manifests: [{ ...secret, data: { token: b64('s3cr3t-two') } }] });
    expect(JSON.stringify(preview)).not.toMatch(/s3cr3t|czNjcjN0/);
    expect(preview.lines).toEqual(['secret/creds -n default: data.token: (secret value changed)']);

    const patched = await run(k8sPatch, { resource: 'secret/creds', namespace: 'default', patch: { data: { token: b64('s3cr3t-three') } } });
    expect(JSON.stringify(patched)).not.toMatch(/s3cr3t|czNjcjN0/);
    expect(patched.outputs.changes).toEqual(['data.token: (secret value changed)']);
  });
});

describe('k8s-rollout-restart', () => {
  it('sends the kubectl restart patch and waits like rollout status (DaemonSet)', async () => {
    const params = { resource: 'daemonset/etcd-defrag', namespace: 'kube-system' } satisfies Partial<RolloutRestartParams>;
    const preview = await plan(k8sRolloutRestart, params);
    expect(preview.summary).toBe('would restart daemonset/etcd-defrag -n kube-system and wait for the rollout');
    const { outputs, recorded } = await run(k8sRolloutRestart, params);
    expect(outputs.status).toBe('daemon set "etcd-defrag" successfully rolled out');
    expect(recorded.progress.slice(0, -1).some((line) => /out of 3 new pods have been updated|spec update to be observed/.test(line))).toBe(true);
    expect(recorded.progress.at(-1)).toBe('daemon set "etcd-defrag" successfully rolled out');
    const ds = await cluster.kube.get<KubeObject & { spec: { template: { metadata: { annotations: Record<string, string> } } } }>(
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'etcd-defrag', namespace: 'kube-system' },
    );
    expect(ds?.spec.template.metadata.annotations[RESTARTED_AT]).toBe(outputs.restartedAt);
    expect(outputs.restartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('does not restart again when the same run retries the step', async () => {
    const params = { resource: 'deployment/web', namespace: 'default', wait: false };
    const first = await run(k8sRolloutRestart, params, 30_000, { stepId: 'restart-web' });
    const retry = await run(k8sRolloutRestart, params, 30_000, { stepId: 'restart-web', attempt: 2 });
    expect(retry.outputs).toMatchObject({ restartedAt: first.outputs.restartedAt, generation: first.outputs.generation });
    expect(retry.recorded.logs[0]).toMatch(/already restarted by this step/);
    const other = await run(k8sRolloutRestart, { ...params, wait: true }, 30_000, { stepId: 'restart-web-again' });
    expect(other.recorded.logs[0]).toMatch(/^deployment\/web -n default restarted \(kubectl\.kubernetes\.io\/restartedAt=/);
  });

  it('restarts a StatefulSet: waits for the pods at the new revision (currentRevision = updateRevision)', async () => {
    const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', namespace: 'default' };
    await cluster.kube.create({
      ...ref, metadata: { name: 'db', namespace: 'default' },
      spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'registry.example/db:1' }] } } },
    } as KubeObject);
    type Sts = KubeObject & { status: { observedGeneration: number; readyReplicas: number; currentRevision: string; updateRevision: string; currentReplicas: number; updatedReplicas: number } };
    // the controller's first rollout (30 simulated seconds) settles before the restart
    await run(k8sWait, { resource: 'statefulset/db', namespace: 'default', condition: 'has(object.status.readyReplicas) && object.status.readyReplicas == 3' }, 120_000);
    const before = (await cluster.kube.get<Sts>(ref))!.status.currentRevision;
    expect(before).toMatch(/^db-[b-z2-9]+$/);

    const preview = await plan(k8sRolloutRestart, { resource: 'sts/db', namespace: 'default' });
    expect(preview.summary).toBe('would restart sts/db -n default and wait for the rollout');
    // the rollout takes the controller's default 30 simulated seconds: the attempt timeout leaves room for it
    const { outputs, recorded } = await run(k8sRolloutRestart, { resource: 'sts/db', namespace: 'default' }, 120_000);
    const live = (await cluster.kube.get<Sts>(ref))!;
    expect(live.status.updateRevision).not.toBe(before);
    expect(live.status).toMatchObject({ observedGeneration: outputs.generation, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: live.status.updateRevision });
    expect(outputs.status).toBe(`statefulset rolling update complete 3 pods at revision ${live.status.updateRevision}`);
    // mid-rollout one pod (the highest ordinal) is being replaced, as `kubectl rollout status statefulset` reports
    expect(recorded.progress).toContain('waiting for 1 pods to be ready');
    expect(recorded.progress.at(-1)).toBe(outputs.status);
  });

  it('restarts a Deployment and refuses kinds that do not roll out', async () => {
    const { outputs, recorded } = await run(k8sRolloutRestart, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default' });
    expect(outputs.status).toBe('deployment "web" successfully rolled out');
    expect(recorded.progress.length).toBeGreaterThan(1);
    const error = await run(k8sRolloutRestart, { resource: 'configmap/patch-me', namespace: 'default' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/rollout restart works on apps\/v1 Deployment, DaemonSet, StatefulSet/);
  });
});
