// The image registry operator's rules, operators settling on schedule, and the injected faults.

import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { eventually, k8s, kubeConfig, rawGet, startSim } from './helpers.js';
import type { Json } from '../../src/sim/json.js';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});


function registry(s: Simulation): { available: string; progressing: string; degraded: string; reason: string; message: string } {
  return s.summary().operators.find((o) => o.name === 'image-registry')!;
}

const patchConfig = (s: Simulation, spec: Json) => s.access.mergePatch('configs', undefined, 'cluster', { spec });

describe('image registry operator', () => {
  it('bootstraps Removed, degrades without storage, rolls out emptyDir and refuses emptyDir with two replicas', async () => {
    sim = await startSim({ imageRegistry: { managementState: 'Removed', rolloutDuration: '10m' } }, { timeScale: 600 });
    const s = sim;
    expect(registry(s)).toMatchObject({ available: 'True', progressing: 'False', degraded: 'False' });
    expect((s.access.get('clusteroperators', undefined, 'image-registry') as Json).status.conditions[0].reason).toBe('Removed');
    await patchConfig(s, { managementState: 'Managed' });
    await eventually(() => registry(s).degraded === 'True');
    expect(registry(s)).toMatchObject({ available: 'False', reason: 'StorageNotConfigured' });
    await patchConfig(s, { storage: { emptyDir: {} }, replicas: 2 });
    await eventually(() => registry(s).reason === 'EmptyDirWithMultipleReplicas');
    await patchConfig(s, { replicas: 1 });
    await eventually(() => registry(s).progressing === 'True');
    expect(registry(s).degraded).toBe('False');
    await eventually(() => registry(s).available === 'True' && registry(s).progressing === 'False');
  });

  it('creates image-registry-storage for an empty claim, and needs Recreate + 1 replica on a ReadWriteOnce claim', async () => {
    sim = await startSim({ imageRegistry: { managementState: 'Removed', rolloutDuration: '1m' } }, { timeScale: 600 });
    const s = sim;
    await patchConfig(s, { managementState: 'Managed', storage: { pvc: { claim: '' } } });
    const pvc = await eventually(() => s.access.get('persistentvolumeclaims', 'openshift-image-registry', 'image-registry-storage') as Json | undefined);
    expect(pvc.spec.resources.requests.storage).toBe('100Gi');
    await eventually(() => (s.access.get('configs', undefined, 'cluster') as Json).spec.storage.pvc.claim === 'image-registry-storage');
    await eventually(() => registry(s).available === 'True' && registry(s).progressing === 'False');

    await s.access.create('persistentvolumeclaims', {
      metadata: { name: 'block', namespace: 'openshift-image-registry' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } },
    });
    await patchConfig(s, { storage: { pvc: { claim: 'block' } }, replicas: 2 });
    await eventually(() => registry(s).reason === 'InvalidStorageConfiguration');
    expect(registry(s).message).toContain('ReadWriteOnce');
    await patchConfig(s, { replicas: 1, rolloutStrategy: 'Recreate' });
    await eventually(() => registry(s).degraded === 'False' && registry(s).available === 'True' && registry(s).progressing === 'False');
  });

  it('settles other operators on the scenario schedule', async () => {
    sim = await startSim({ operators: [{ name: 'console', settleAt: '30m' }, { name: 'dns' }] }, { timeScale: 3600 });
    const s = sim;
    const console = () => s.summary().operators.find((o) => o.name === 'console')!;
    expect(console()).toMatchObject({ available: 'False', progressing: 'True' });
    await eventually(() => console().available === 'True' && console().progressing === 'False');
  });
});

function request(s: Simulation, path: string, agent: https.Agent): Promise<{ status: number; headers: Json; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(`${s.url}${path}`, { ca: s.caPem, agent, headers: { Authorization: `Bearer ${s.adminToken}` } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('faults', () => {
  it('injects 503s, 429s with Retry-After, latency and resets deterministically from the seed', async () => {
    const faults = {
      seed: 7,
      errors: [{ verbs: ['list'], resources: ['nodes'], rate: 1, code: 503 as const }],
      throttle: [{ verbs: ['list'], resources: ['namespaces'], rate: 1, retryAfterSeconds: 3 }],
      latency: [{ verbs: ['get'], resources: ['namespaces'], rate: 1, ms: 5 }],
      resets: [{ verbs: ['list'], resources: ['configmaps'], rate: 1 }],
    };
    sim = await startSim({ faults });
    const agent = new https.Agent({ keepAlive: false });
    const unavailable = await request(sim, '/api/v1/nodes', agent);
    expect(unavailable.status).toBe(503);
    expect(JSON.parse(unavailable.body).reason).toBe('ServiceUnavailable');
    const throttled = await request(sim, '/api/v1/namespaces', agent);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect((await request(sim, '/api/v1/namespaces/default', agent)).status).toBe(200);
    await expect(request(sim, '/api/v1/namespaces/default/configmaps', agent)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(sim.faults()).toMatchObject({ '503': 1, '429': 1, latency: 1, reset: 1 });

    // Same seed, same decisions: a partial error rate fails the same requests on every run.
    const pattern = async () => {
      const s = await startSim({ faults: { seed: 3, errors: [{ verbs: ['get'], rate: 0.5, code: 500 }] } });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await request(s, '/api/v1/namespaces/default', agent)).status);
      await s.stop();
      return statuses;
    };
    const first = await pattern();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await pattern()).toEqual(first);
  });

  it('cuts watch streams after the configured time; an informer keeps up by re-watching', async () => {
    sim = await startSim({ faults: { watchCut: { everyMs: 300 } } });
    const s = sim;
    const kc = kubeConfig(s);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    informer.on('error', () => setTimeout(() => void informer.start(), 50));
    await informer.start();
    await eventually(() => (s.faults()['watch-cut'] ?? 0) >= 1);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-cut' } } });
    await eventually(() => informer.list().some((c) => c.metadata?.name === 'after-cut'));
    await informer.stop();
    expect((s.counters()['watch configmaps'] ?? 0)).toBeGreaterThanOrEqual(2);
  });

  it('serves health endpoints without a token', async () => {
    sim = await startSim();
    expect((await rawGet(sim, '/readyz', undefined)).body).toBe('ok');
  });
});
