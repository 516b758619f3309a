// Discovery caching: one request per group version, and a CRD added later is found after one refresh.

import { describe, expect, it } from 'vitest';
import { createDiscovery } from '../../src/k8s/discovery.js';

function server() {
  const docs: Record<string, unknown> = {
    '/api': { versions: ['v1'] },
    '/apis': { groups: [{ name: 'apps', preferredVersion: { groupVersion: 'apps/v1' } }] },
    '/api/v1': { resources: [{ name: 'nodes', kind: 'Node', namespaced: false }, { name: 'nodes/status', kind: 'Node', namespaced: false }] },
    '/apis/apps/v1': { resources: [{ name: 'daemonsets', singularName: 'daemonset', shortNames: ['ds'], kind: 'DaemonSet', namespaced: true }] },
  };
  const requests: string[] = [];
  return {
    requests,
    docs,
    fetchJson: async (path: string) => {
      requests.push(path);
      if (!(path in docs)) throw Object.assign(new Error(`404 ${path}`), {});
      return docs[path];
    },
  };
}

describe('createDiscovery', () => {
  it('uses aggregated discovery when the server offers it: two requests for every group', async () => {
    const requests: string[] = [];
    const aggregated = (items: unknown[]) => ({ kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', items });
    const docs: Record<string, unknown> = {
      '/api': aggregated([{ metadata: {}, versions: [{ version: 'v1', resources: [{ resource: 'nodes', responseKind: { kind: 'Node' }, scope: 'Cluster', singularResource: 'node', shortNames: ['no'] }] }] }]),
      '/apis': aggregated([{ metadata: { name: 'example.com' }, versions: [
        { version: 'v2', resources: [{ resource: 'widgets', responseKind: { kind: 'Widget' }, scope: 'Namespaced', singularResource: 'widget' }] },
        { version: 'v1', resources: [{ resource: 'widgets', responseKind: { kind: 'Widget' }, scope: 'Namespaced', singularResource: 'widget' }] },
      ] }]),
    };
    const d = createDiscovery(async (path, _signal, accept) => {
      requests.push(`${path} ${accept?.includes('apidiscovery') ? 'aggregated' : 'plain'}`);
      return docs[path];
    });
    expect(await d.resolveName('widget')).toEqual({ apiVersion: 'example.com/v2', kind: 'Widget', resource: 'widgets', namespaced: true });
    expect(await d.resolveName('no')).toMatchObject({ apiVersion: 'v1', kind: 'Node' });
    expect(await d.resolve('example.com/v1', 'Widget')).toMatchObject({ resource: 'widgets' });
    expect(requests).toEqual(['/api aggregated', '/apis aggregated']);
  });

  it('caches group versions and ignores subresources', async () => {
    const s = server();
    const d = createDiscovery(s.fetchJson);
    expect(await d.resolve('v1', 'Node')).toEqual({ apiVersion: 'v1', kind: 'Node', resource: 'nodes', namespaced: false });
    await d.resolve('v1', 'Node');
    expect(s.requests).toEqual(['/api/v1']);
    expect(await d.resolveName('ds')).toMatchObject({ apiVersion: 'apps/v1', kind: 'DaemonSet' });
    expect(await d.resolveName('daemonsets.apps')).toMatchObject({ resource: 'daemonsets' });
    expect(await d.resolveName('daemonset.v1.apps')).toMatchObject({ resource: 'daemonsets' });
  });

  it('finds a CRD served after the first lookup, by kind and by name', async () => {
    const s = server();
    const d = createDiscovery(s.fetchJson);
    await d.resolve('apps/v1', 'DaemonSet');
    await expect(d.resolveName('widgets')).rejects.toThrow(/doesn't have a resource type "widgets"/);
    s.docs['/apis'] = { groups: [{ name: 'apps', preferredVersion: { groupVersion: 'apps/v1' } }, { name: 'example.com', preferredVersion: { groupVersion: 'example.com/v1' } }] };
    s.docs['/apis/example.com/v1'] = { resources: [{ name: 'widgets', kind: 'Widget', namespaced: true }] };
    expect(await d.resolveName('widgets')).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget' });
    (s.docs['/apis/apps/v1'] as { resources: unknown[] }).resources.push({ name: 'statefulsets', kind: 'StatefulSet', namespaced: true });
    expect(await d.resolve('apps/v1', 'StatefulSet')).toMatchObject({ resource: 'statefulsets' });
    await expect(d.resolve('apps/v1', 'Gadget')).rejects.toThrow(/no kind Gadget in apps\/v1 \(it serves: DaemonSet, StatefulSet\)/);
  });
});
