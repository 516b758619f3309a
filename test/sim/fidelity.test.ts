// Fidelity asked for by the steps' tests: dry-run mutations counted apart from real ones, Secret stringData folding.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { k8s, kubeConfig, startSim, statusOf } from './helpers.js';

let sim: Simulation;
let core: k8s.CoreV1Api;
let custom: k8s.CustomObjectsApi;

beforeAll(async () => {
  sim = await startSim({ flavour: 'openshift', imageRegistry: { managementState: 'Removed' } });
  const kc = kubeConfig(sim);
  core = kc.makeApiClient(k8s.CoreV1Api);
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
});
afterAll(() => sim.stop());

const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');

describe('dry-run counters', () => {
  it('counts dry-run mutations under "<verb>(dryRun) <resource>" and never as the real verb', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'plan' }, data: { a: '1' } } });
    sim.resetCounters();
    const config = { group: 'imageregistry.operator.openshift.io', version: 'v1', plural: 'configs', name: 'cluster' };
    await custom.patchClusterCustomObject({ ...config, body: { spec: { managementState: 'Managed' } }, dryRun: 'All' }, merge);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'plan-2' } }, dryRun: 'All' });
    await core.replaceNamespacedConfigMap({ name: 'plan', namespace: 'default', body: { metadata: { name: 'plan' }, data: { a: '2' } }, dryRun: 'All' });
    await core.deleteNamespacedConfigMap({ name: 'plan', namespace: 'default', dryRun: 'All' });
    // DeleteOptions in the body (what client-go sends) is a dry run too.
    await core.deleteNamespacedConfigMap({ name: 'plan', namespace: 'default', body: { dryRun: ['All'] } });
    const counters = sim.counters();
    expect(counters).toMatchObject({
      'patch(dryRun) configs': 1,
      'create(dryRun) configmaps': 1,
      'update(dryRun) configmaps': 1,
      'delete(dryRun) configmaps': 2,
    });
    expect(Object.keys(counters).filter((key) => /^(create|update|patch|delete|deletecollection) /.test(key))).toEqual([]);
    expect((await core.readNamespacedConfigMap({ name: 'plan', namespace: 'default' })).data).toEqual({ a: '1' });

    await custom.patchClusterCustomObject({ ...config, body: { spec: { managementState: 'Removed' } } }, merge);
    expect(sim.counters()['patch configs']).toBe(1);
  });
});

describe('Secret stringData', () => {
  it('folds stringData into base64 data on create, never storing or returning it', async () => {
    const created = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 's1' }, data: { a: Buffer.from('old').toString('base64'), b: Buffer.from('kept').toString('base64') }, stringData: { a: 'new', c: 'plain' } } });
    expect(created.stringData).toBeUndefined();
    expect(Object.fromEntries(Object.entries(created.data ?? {}).map(([k, v]) => [k, decode(v)]))).toEqual({ a: 'new', b: 'kept', c: 'plain' });
    const stored = sim.access.get('secrets', 'default', 's1')!;
    expect(stored).not.toHaveProperty('stringData');
    expect(decode((stored.data as Record<string, string>).c)).toBe('plain');
  });

  it('folds it on update, merge patch and dry run alike', async () => {
    const current = await core.readNamespacedSecret({ name: 's1', namespace: 'default' });
    const updated = await core.replaceNamespacedSecret({ name: 's1', namespace: 'default', body: { ...current, stringData: { d: 'via update' } } });
    expect(decode(updated.data?.d)).toBe('via update');
    expect(updated.stringData).toBeUndefined();
    const patched = await core.patchNamespacedSecret({ name: 's1', namespace: 'default', body: { stringData: { e: 'via patch' } } }, merge);
    expect(decode(patched.data?.e)).toBe('via patch');
    expect(patched.stringData).toBeUndefined();
    const dry = await core.patchNamespacedSecret({ name: 's1', namespace: 'default', body: { stringData: { f: 'dry' } }, dryRun: 'All' }, merge);
    expect(decode(dry.data?.f)).toBe('dry');
    expect(dry.stringData).toBeUndefined();
    const read = await core.readNamespacedSecret({ name: 's1', namespace: 'default' });
    expect(read.data?.f).toBeUndefined();
    expect(read.stringData).toBeUndefined();
  });

  it('rejects non-string stringData values with 422 Invalid naming the key', async () => {
    const error = await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 's2' }, stringData: { n: 5 as unknown as string } } }).catch((e) => e);
    expect(statusOf(error)).toBe(422);
    expect(JSON.parse(error.body).details.causes[0].field).toBe('stringData[n]');
  });
});

describe('field ownership of non-apply writes', () => {
  it('records only the fields an update changed, and an apply over them conflicts with that manager', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'owned', labels: { team: 'a' } }, data: { a: '1', b: '1' } }, fieldManager: 'creator' });
    const edited = await core.patchNamespacedConfigMap({ name: 'owned', namespace: 'default', body: { data: { a: '2', b: '1' } }, fieldManager: 'editor' }, merge);
    const entries = edited.metadata?.managedFields ?? [];
    const editor = entries.find((e) => e.manager === 'editor');
    expect(editor?.fieldsV1).toEqual({ 'f:data': { 'f:a': {} } });
    // The creator keeps what the editor did not touch.
    expect(entries.find((e) => e.manager === 'creator')?.fieldsV1).toEqual({ 'f:data': { 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:team': {} } } });
    // A no-op write changes nothing: same resourceVersion, same owners.
    const again = await core.patchNamespacedConfigMap({ name: 'owned', namespace: 'default', body: { data: { a: '2' } }, fieldManager: 'third' }, merge);
    expect(again.metadata?.resourceVersion).toBe(edited.metadata?.resourceVersion);
    expect((again.metadata?.managedFields ?? []).map((e) => e.manager)).not.toContain('third');
    const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig(sim));
    const conflict = await objects
      .patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned', namespace: 'default' }, data: { a: '3' } }, undefined, undefined, 'applier', undefined, k8s.PatchStrategy.ServerSideApply)
      .catch((e) => e);
    expect(statusOf(conflict)).toBe(409);
    expect(JSON.parse(conflict.body).message).toContain('conflict with "editor"');
  });
});
