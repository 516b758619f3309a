// The informer through the real client and the simulated API server: one list + one watch, relist on 410 and on cut streams.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../src/k8s/types.js';
import { configMap, startTestCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

const count = (c: TestCluster, key: string) => c.counters()[key] ?? 0;

describe('informer against the simulation', () => {
  it('lists once and watches once while objects come, change and go', async () => {
    cluster = await startTestCluster();
    const { kube } = cluster;
    await kube.create(configMap('early', { v: '1' }, 'default', { app: 'inf' }));
    const informer = kube.informer<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'app=inf' });
    try {
      await informer.ready();
      expect(informer.items().map((o) => o.metadata.name)).toEqual(['early']);
      const seen: string[] = [];
      informer.onChange((e) => seen.push(`${e.type} ${e.object.metadata.name}`));
      await kube.create(configMap('later', { v: '1' }, 'default', { app: 'inf' }));
      await kube.create(configMap('unrelated', {}, 'default', { app: 'other' }));
      await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'early', namespace: 'default' }, { data: { v: '2' } });
      await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'later', namespace: 'default' });
      const items = await informer.waitFor((all) => all.length === 1 && all[0]!.data?.v === '2');
      expect(items[0]!.kind).toBe('ConfigMap');
      expect(seen).toEqual(['ADDED later', 'MODIFIED early', 'DELETED later']);
      expect(count(cluster, 'list configmaps')).toBe(1);
      expect(count(cluster, 'watch configmaps')).toBe(1);
    } finally {
      informer.stop();
    }
  });

  it('relists when its resourceVersion has left the server history (410 Expired) after a watch cut', async () => {
    cluster = await startTestCluster({
      api: { historySize: 5, bookmarkIntervalMs: 600_000 },
      faults: { watchCut: { everyMs: 400 } },
    });
    const { kube } = cluster;
    await kube.create(configMap('watched', {}, 'default', { app: 'w' }));
    await kube.create(configMap('noise', { n: '0' }));
    const informer = kube.informer('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'app=w' });
    try {
      await informer.ready();
      // changes the informer does not see move the server's history past its resourceVersion
      for (let i = 1; i <= 20; i++) await kube.patch({ apiVersion: 'v1', kind: 'ConfigMap', name: 'noise', namespace: 'default' }, { data: { n: String(i) } });
      await vi.waitFor(() => expect(count(cluster!, 'list configmaps')).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 50 });
      await kube.create(configMap('after-relist', {}, 'default', { app: 'w' }));
      const items = await informer.waitFor((all) => all.some((o) => o.metadata.name === 'after-relist'));
      expect(items.map((o) => o.metadata.name).sort()).toEqual(['after-relist', 'watched']);
    } finally {
      informer.stop();
    }
  });

  it('relists after a stream is cut abruptly and keeps following changes', async () => {
    cluster = await startTestCluster({ faults: { watchCut: { everyMs: 300, abrupt: true } } });
    const { kube } = cluster;
    const informer = kube.informer('v1', 'ConfigMap', { namespace: 'default', labelSelector: 'app=cut' });
    try {
      await informer.ready();
      await vi.waitFor(() => expect(count(cluster!, 'list configmaps')).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 50 });
      await kube.create(configMap('after-cut', {}, 'default', { app: 'cut' }));
      await informer.waitFor((all) => all.some((o) => o.metadata.name === 'after-cut'));
    } finally {
      informer.stop();
    }
  });
});
