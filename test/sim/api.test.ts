// The API server through @kubernetes/client-node over HTTPS: CRUD, pagination, selectors, watch, conflicts, patches.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { eventually, k8s, kubeConfig, rawGet, startSim, statusOf } from './helpers.js';

let sim: Simulation;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  sim = await startSim({ flavour: 'kubernetes', api: { historySize: 50, bookmarkIntervalMs: 100 } });
  kc = kubeConfig(sim);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(() => sim.stop());

const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { a: '1' }): k8s.V1ConfigMap => ({
  metadata: { name, labels },
  data,
});

describe('CRUD', () => {
  it('creates, reads, updates and deletes a ConfigMap', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('crud') });
    expect(created.metadata?.uid).toBeTruthy();
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    const read = await core.readNamespacedConfigMap({ name: 'crud', namespace: 'default' });
    expect(read.data).toEqual({ a: '1' });
    read.data = { a: '2' };
    const updated = await core.replaceNamespacedConfigMap({ name: 'crud', namespace: 'default', body: read });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));
    await core.deleteNamespacedConfigMap({ name: 'crud', namespace: 'default' });
    await expect(core.readNamespacedConfigMap({ name: 'crud', namespace: 'default' })).rejects.toSatisfy((e) => statusOf(e) === 404);
  });

  it('answers AlreadyExists, NotFound namespace and Invalid names with Status objects', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('dup') });
    const dup = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('dup') }).catch((e) => e);
    expect(statusOf(dup)).toBe(409);
    expect(JSON.parse(dup.body).reason).toBe('AlreadyExists');
    const noNs = await core.createNamespacedConfigMap({ namespace: 'nope', body: cm('x') }).catch((e) => e);
    expect(statusOf(noNs)).toBe(404);
    const bad = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('Bad_Name') }).catch((e) => e);
    expect(statusOf(bad)).toBe(422);
    expect(JSON.parse(bad.body).details.causes[0].field).toBe('metadata.name');
  });

  it('generates names from generateName', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { generateName: 'gen-' } } });
    expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('rejects a stale resourceVersion with 409 Conflict', async () => {
    const first = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('occ') });
    await core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: { ...first, data: { a: 'x' } } });
    const stale = await core.replaceNamespacedConfigMap({ name: 'occ', namespace: 'default', body: { ...first, data: { a: 'y' } } }).catch((e) => e);
    expect(statusOf(stale)).toBe(409);
    expect(JSON.parse(stale.body).reason).toBe('Conflict');
  });

  it('dry-run answers every mutation without storing anything', async () => {
    const rv = Number((await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion);
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: cm('dry'), dryRun: 'All' });
    expect(created.metadata?.name).toBe('dry');
    await expect(core.readNamespacedConfigMap({ name: 'dry', namespace: 'default' })).rejects.toSatisfy((e) => statusOf(e) === 404);
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('dry2') });
    const patched = await core.patchNamespacedConfigMap({ name: 'dry2', namespace: 'default', body: { data: { a: 'dry' } }, dryRun: 'All' }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(patched.data).toEqual({ a: 'dry' });
    expect((await core.readNamespacedConfigMap({ name: 'dry2', namespace: 'default' })).data).toEqual({ a: '1' });
    await core.deleteNamespacedConfigMap({ name: 'dry2', namespace: 'default', dryRun: 'All' });
    await core.readNamespacedConfigMap({ name: 'dry2', namespace: 'default' });
    expect(Number((await core.listNamespacedConfigMap({ namespace: 'default' })).metadata?.resourceVersion)).toBe(rv + 1);
  });
});

describe('list', () => {
  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: 'paging' } } });
    for (let i = 0; i < 7; i++) {
      await core.createNamespacedConfigMap({ namespace: 'paging', body: cm(`item-${i}`, { tier: i % 2 === 0 ? 'even' : 'odd', app: 'p' }) });
    }
  });

  it('pages with limit/continue and reports the remaining count', async () => {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: 'paging', limit: 3, _continue: token });
      names.push(...page.items.map((i) => i.metadata!.name!));
      if (pages === 0) expect(page.metadata?.remainingItemCount).toBe(4);
      token = page.metadata?._continue;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names).toEqual(Array.from({ length: 7 }, (_, i) => `item-${i}`));
  });

  it('filters by label and field selectors', async () => {
    const even = await core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'tier=even,app in (p,q)' });
    expect(even.items).toHaveLength(4);
    const notOdd = await core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: 'tier!=odd' });
    expect(notOdd.items).toHaveLength(4);
    const one = await core.listNamespacedConfigMap({ namespace: 'paging', fieldSelector: 'metadata.name=item-3' });
    expect(one.items.map((i) => i.metadata?.name)).toEqual(['item-3']);
    const all = await core.listConfigMapForAllNamespaces({ fieldSelector: 'metadata.namespace=paging' });
    expect(all.items).toHaveLength(7);
    const bad = await core.listNamespacedConfigMap({ namespace: 'paging', fieldSelector: 'data.a=1' }).catch((e) => e);
    expect(statusOf(bad)).toBe(400);
  });
});

describe('patch', () => {
  const header = (type: string) => k8s.setHeaderOptions('Content-Type', type);

  it('applies merge, JSON and strategic merge patches', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('patched', { a: 'b' }, { x: '1', y: '2' }) });
    const merged = await core.patchNamespacedConfigMap({ name: 'patched', namespace: 'default', body: { data: { y: null, z: '3' } } }, header(k8s.PatchStrategy.MergePatch));
    expect(merged.data).toEqual({ x: '1', z: '3' });
    const json = await core.patchNamespacedConfigMap(
      { name: 'patched', namespace: 'default', body: [{ op: 'replace', path: '/data/x', value: '9' }, { op: 'add', path: '/metadata/labels/c', value: 'd' }] },
      header(k8s.PatchStrategy.JsonPatch),
    );
    expect(json.data?.x).toBe('9');
    expect(json.metadata?.labels).toEqual({ a: 'b', c: 'd' });
    const failed = await core.patchNamespacedConfigMap({ name: 'patched', namespace: 'default', body: [{ op: 'test', path: '/data/x', value: 'no' }] }, header(k8s.PatchStrategy.JsonPatch)).catch((e) => e);
    expect(statusOf(failed)).toBe(422);
  });

  it('merges container lists by name in a strategic merge patch', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: 'default', body: { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } } },
      header(k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2']);
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.spec?.strategy?.type).toBe('RollingUpdate');
  });

  it('server-side apply creates, updates, and reports conflicts between managers', async () => {
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const spec = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: 'default' }, data: { k: 'v1' } };
    const created = await objects.patch(spec, undefined, undefined, 'team-a', undefined, k8s.PatchStrategy.ServerSideApply);
    expect((created as k8s.V1ConfigMap).data).toEqual({ k: 'v1' });
    const conflict = await objects.patch({ ...spec, data: { k: 'other' } }, undefined, undefined, 'team-b', undefined, k8s.PatchStrategy.ServerSideApply).catch((e) => e);
    expect(statusOf(conflict)).toBe(409);
    expect(JSON.parse(conflict.body).message).toContain('conflict with "team-a"');
    const forced = await objects.patch({ ...spec, data: { k: 'other' } }, undefined, undefined, 'team-b', true, k8s.PatchStrategy.ServerSideApply);
    expect((forced as k8s.V1ConfigMap).data).toEqual({ k: 'other' });
    expect(((forced as k8s.V1ConfigMap).metadata?.managedFields ?? []).map((m) => m.manager)).toContain('team-b');
  });
});

describe('watch', () => {
  it('streams changes from a resourceVersion and sends bookmarks', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    const events: string[] = [];
    let bookmarks = 0;
    const watch = new k8s.Watch(kc);
    const controller = await watch.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true, labelSelector: 'watched=yes' },
      (type, object) => {
        if (type === 'BOOKMARK') bookmarks++;
        else events.push(`${type} ${object.metadata.name}`);
      },
      () => {},
    );
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('w1', { watched: 'yes' }) });
    await core.createNamespacedConfigMap({ namespace: 'default', body: cm('w2', { watched: 'no' }) });
    await core.patchNamespacedConfigMap({ name: 'w2', namespace: 'default', body: { metadata: { labels: { watched: 'yes' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace: 'default' });
    await eventually(() => events.length >= 3 && bookmarks > 0);
    controller.abort();
    expect(events).toEqual(['ADDED w1', 'ADDED w2', 'DELETED w1']);
  });

  it('answers a too-old resourceVersion with 410 Expired, and a relist recovers', async () => {
    const old = (await core.listNamespacedConfigMap({ namespace: 'default' })).metadata!.resourceVersion!;
    await core.createNamespace({ body: { metadata: { name: 'churn' } } });
    for (let i = 0; i < 80; i++) await core.createNamespacedConfigMap({ namespace: 'churn', body: cm(`c-${i}`) });
    let error: { code?: number; reason?: string } | undefined;
    const watch = new k8s.Watch(kc);
    await new Promise<void>((resolve) => {
      void watch.watch('/api/v1/namespaces/default/configmaps', { resourceVersion: old }, (type, object) => {
        if (type === 'ERROR') error = object;
      }, () => resolve());
    });
    expect(error?.code).toBe(410);
    expect(error?.reason).toBe('Expired');
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/churn/configmaps', () => core.listNamespacedConfigMap({ namespace: 'churn' }));
    await informer.start();
    expect(informer.list()).toHaveLength(80);
    await informer.stop();
  });
});

describe('authentication', () => {
  it('rejects a missing or wrong token with 401 Unauthorized', async () => {
    const bad = new k8s.KubeConfig();
    bad.loadFromString(sim.kubeconfig.replace(sim.adminToken, 'wrong-token'));
    const error = await bad.makeApiClient(k8s.CoreV1Api).listNode().catch((e) => e);
    expect(statusOf(error)).toBe(401);
    const missing = await rawGet(sim, '/api/v1/nodes', undefined);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await rawGet(sim, '/api/v1/nodes', 'nope');
    expect(wrong.status).toBe(401);
  });

  it('counts requests per verb and resource, also over /debug/counters', async () => {
    const before = sim.counters()['list nodes'] ?? 0;
    await core.listNode();
    expect(sim.counters()['list nodes']).toBe(before + 1);
    const debug = await rawGet(sim, '/debug/counters', sim.adminToken);
    expect(JSON.parse(debug.body).requests['list nodes']).toBe(before + 1);
  });
});
