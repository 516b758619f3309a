// The real client (@kubernetes/client-node over HTTPS) against the simulated API server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { createKubeClient } from '../../src/k8s/client.js';
import { isConflict, isNotFound, statusCodeOf } from '../../src/k8s/errors.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { encodeCsrForApi, generateCsr } from '../../src/pki/csr.js';
import { configMap, startTestCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

describe('createKubeClient against the simulated API server', () => {
  it('creates, reads, replaces, patches and deletes, with dry runs storing nothing', async () => {
    const { kube } = cluster;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'crud', namespace: 'default' };
    expect(await kube.get(ref)).toBeUndefined();

    const before = await cluster.clusterResourceVersion();
    const dry = await kube.create(configMap('crud', { a: '1' }), { dryRun: true });
    expect(dry.metadata.name).toBe('crud');
    expect(await kube.get(ref)).toBeUndefined();
    expect(await cluster.clusterResourceVersion()).toBe(before);

    const created = await kube.create(configMap('crud', { a: '1' }));
    expect(created.metadata.resourceVersion).toBeTruthy();
    const read = await kube.get<KubeObject & { data: Record<string, string> }>(ref);
    expect(read?.data).toEqual({ a: '1' });

    const replaced = await kube.replace({ ...read!, data: { a: '2' } });
    expect(replaced.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);

    const merged = await kube.patch<KubeObject & { data: Record<string, string> }>(ref, { data: { b: 'm' } }, 'merge');
    expect(merged.data).toEqual({ a: '2', b: 'm' });
    const json = await kube.patch<KubeObject & { data: Record<string, string> }>(ref, [{ op: 'replace', path: '/data/a', value: 'j' }], 'json');
    expect(json.data.a).toBe('j');
    const strategic = await kube.patch<KubeObject & { data: Record<string, string> }>(ref, { data: { c: 's' } }, 'strategic');
    expect(strategic.data.c).toBe('s');
    const applied = await kube.patch<KubeObject & { data: Record<string, string> }>(
      ref, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'crud', namespace: 'default' }, data: { applied: 'yes' } }, 'apply',
    );
    expect(applied.data.applied).toBe('yes');
    const managers = (applied.metadata.managedFields as { manager: string }[] | undefined)?.map((m) => m.manager) ?? [];
    expect(managers).toContain('opsbook');

    const beforeDryPatch = await cluster.clusterResourceVersion();
    await kube.patch(ref, { data: { dry: 'x' } }, 'merge', { dryRun: true });
    expect(await cluster.clusterResourceVersion()).toBe(beforeDryPatch);

    await kube.delete(ref);
    expect(await kube.get(ref)).toBeUndefined();
    await expect(kube.delete(ref)).resolves.toBeUndefined(); // already gone is fine
  });

  it('maps a stale resourceVersion to a transient Conflict naming the object', async () => {
    const { kube } = cluster;
    const created = await kube.create(configMap('conflict', { v: '1' }));
    await kube.replace({ ...created, data: { v: '2' } });
    const error = await kube.replace({ ...created, data: { v: 'stale' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorClass).toBe('transient');
    expect(isConflict(error)).toBe(true);
    expect((error as StepError).message).toMatch(/^update configmaps default\/conflict: Conflict \(409\): /);
  });

  it('makes AlreadyExists, NotFound and Invalid permanent', async () => {
    const { kube } = cluster;
    await kube.create(configMap('dup', {}));
    const dup = (await kube.create(configMap('dup', {})).catch((e: unknown) => e)) as StepError;
    expect(dup.errorClass).toBe('permanent');
    expect(dup.message).toMatch(/AlreadyExists \(409\)/);

    const missing = (await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'nope', namespace: 'default' }, { data: {} })
      .catch((e: unknown) => e)) as StepError;
    expect(isNotFound(missing)).toBe(true);
    expect(missing.errorClass).toBe('permanent');
    expect(missing.message).toMatch(/configmaps default\/nope: NotFound \(404\)/);

    const invalid = (await kube.create(configMap('Not_A_Valid_Name', {})).catch((e: unknown) => e)) as StepError;
    expect(statusCodeOf(invalid)).toBe(422);
    expect(invalid.errorClass).toBe('permanent');
    expect(invalid.message).toMatch(/Invalid \(422\)/);
  });

  it('lists across pages, with label and field selectors', async () => {
    const { kube } = cluster;
    for (let i = 0; i < 25; i++) await kube.create(configMap(`page-${String(i).padStart(2, '0')}`, {}, 'default', { set: 'paging', odd: String(i % 2) }));
    const listsBefore = cluster.counters()['list configmaps'] ?? 0;
    const all = await kube.list('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'set=paging', limit: 10 });
    expect(all.items).toHaveLength(25);
    expect(all.items[0]!.kind).toBe('ConfigMap');
    expect(all.resourceVersion).toMatch(/^\d+$/);
    expect((cluster.counters()['list configmaps'] ?? 0) - listsBefore).toBe(3);
    const odd = await kube.list('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'set=paging,odd=1' });
    expect(odd.items).toHaveLength(12);
    const one = await kube.list('v1', 'ConfigMap', { namespace: 'default', fieldSelector: 'metadata.name=page-07' });
    expect(one.items.map((o) => o.metadata.name)).toEqual(['page-07']);
  });

  it('resolves kinds and kubectl names through discovery; unknown kinds fail clearly', async () => {
    const { kube } = cluster;
    expect(await kube.resolve('v1', 'Node')).toEqual({ resource: 'nodes', namespaced: false });
    expect(await kube.resolve('coordination.k8s.io/v1', 'Lease')).toEqual({ resource: 'leases', namespaced: true });
    expect(await kube.resolveName!('ds')).toMatchObject({ apiVersion: 'apps/v1', kind: 'DaemonSet', resource: 'daemonsets' });
    expect(await kube.resolveName!('csr')).toMatchObject({ kind: 'CertificateSigningRequest' });
    expect(await kube.resolveName!('deployments.apps')).toMatchObject({ kind: 'Deployment' });
    await expect(kube.resolve('v1', 'Gizmo')).rejects.toThrow(/no kind Gizmo in v1/);
    await expect(kube.resolve('nothere.example.com/v1', 'Thing')).rejects.toThrow(/does not serve apiVersion nothere.example.com\/v1/);
    await expect(kube.resolveName!('gizmos')).rejects.toThrow(/doesn't have a resource type "gizmos"/);
  });

  it('reads aggregated discovery once for kubectl names and reuses it for kinds', async () => {
    const fresh = await cluster.connect();
    const before = cluster.counters()['get discovery'] ?? 0;
    expect(await fresh.resolveName!('csr')).toMatchObject({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', namespaced: false });
    expect(await fresh.resolve('coordination.k8s.io/v1', 'Lease')).toEqual({ resource: 'leases', namespaced: true });
    expect(await fresh.resolveName!('lease')).toMatchObject({ resource: 'leases' });
    expect((cluster.counters()['get discovery'] ?? 0) - before).toBe(2); // /api and /apis, aggregated
  });

  it('reads raw paths', async () => {
    expect(await cluster.kube.request('/readyz')).toEqual({ status: 200, body: 'ok' });
  });

  it('appends a CSR condition through /approval, refusing a stale resourceVersion', async () => {
    const { kube } = cluster;
    const { pem } = await generateCsr({ commonName: 'system:node:client-test', organizations: ['system:nodes'] });
    const csr = await kube.create({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'client-test' },
      spec: { request: encodeCsrForApi(pem), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
    });
    await kube.patch({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', name: 'client-test' }, { metadata: { labels: { touched: 'yes' } } });
    const stale = (await kube.setCsrCondition(csr, { type: 'Approved', reason: 'Test', message: 'stale' }).catch((e: unknown) => e)) as StepError;
    expect(isConflict(stale)).toBe(true);
    const fresh = await kube.get({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', name: 'client-test' });
    const approved = await kube.setCsrCondition(fresh!, { type: 'Approved', reason: 'OpsbookApprove', message: 'by test' });
    const conditions = (approved.status as { conditions: { type: string; status: string; reason: string }[] }).conditions;
    expect(conditions).toEqual([expect.objectContaining({ type: 'Approved', status: 'True', reason: 'OpsbookApprove' })]);
  });

  it('rejects a wrong token as permanent Unauthorized, and an unreachable server as transient', async () => {
    const badToken = cluster.sim.kubeconfig.replace(cluster.sim.adminToken, 'not-the-token');
    const intruder = await createKubeClient({ kubeconfig: badToken });
    const denied = (await intruder.list('v1', 'Node').catch((e: unknown) => e)) as StepError;
    expect(denied.errorClass).toBe('permanent');
    expect(statusCodeOf(denied)).toBe(401);

    const gone = cluster.sim.kubeconfig.replace(cluster.sim.url, 'https://127.0.0.1:1');
    const unreachable = await createKubeClient({ kubeconfig: gone });
    const refused = (await unreachable.get({ apiVersion: 'v1', kind: 'Node', name: 'x' }).catch((e: unknown) => e)) as StepError;
    expect(refused).toBeInstanceOf(StepError);
    expect(refused.errorClass).toBe('transient');
    expect(refused.message).toMatch(/ECONNREFUSED/);
  });

  it('returns the abort reason when the caller cancels', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by test');
    controller.abort(reason);
    await expect(cluster.kube.list('v1', 'ConfigMap', { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('createKubeClient against injected faults', () => {
  it('marks 503 transient and carries Retry-After from a 429', async () => {
    const flaky = await startTestCluster({
      faults: { seed: 1, errors: [{ verbs: ['get'], resources: ['configmaps'], rate: 1, code: 503 }], throttle: [{ verbs: ['list'], resources: ['configmaps'], rate: 1, retryAfterSeconds: 7 }] },
    });
    try {
      const e503 = (await flaky.kube.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', namespace: 'default' }).catch((e: unknown) => e)) as StepError;
      expect(e503.errorClass).toBe('transient');
      expect(statusCodeOf(e503)).toBe(503);
      const e429 = (await flaky.kube.list('v1', 'ConfigMap').catch((e: unknown) => e)) as StepError;
      expect(e429.errorClass).toBe('transient');
      expect(e429.retryAfterMs).toBe(7000);
    } finally {
      await flaky.stop();
    }
  });
});
