// In-cluster configuration (a pod's service account): chosen only in a pod with no kubeconfig named, and it reaches the API server with
// the mounted token and CA, in the mounted namespace. Checked against the simulated API server with a service-account directory of files.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubeClient } from '../../src/k8s/client.js';
import { selectInClusterServer } from '../../src/k8s/kubeconfig.js';
import { startTestCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = mkdtempSync(path.join(tmpdir(), 'sa-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'token'), cluster.sim.adminToken);
  writeFileSync(path.join(dir, 'ca.crt'), cluster.sim.caPem);
  writeFileSync(path.join(dir, 'namespace'), 'opsbook-runs\n');
});
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

describe('in-cluster configuration', () => {
  it('is chosen in a pod (service env and token) unless a kubeconfig is named', () => {
    expect(selectInClusterServer({ env: pod, serviceAccountTokenPresent: true })).toBe('https://10.96.0.1:443');
    expect(selectInClusterServer({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, serviceAccountTokenPresent: true })).toBe('https://[fd00::1]:6443');
    expect(selectInClusterServer({ env: pod, serviceAccountTokenPresent: false })).toBeUndefined();
    expect(selectInClusterServer({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, serviceAccountTokenPresent: true })).toBeUndefined();
    expect(selectInClusterServer({ env: pod, serviceAccountTokenPresent: true, kubeconfigPath: '/k' })).toBeUndefined();
    expect(selectInClusterServer({ env: { ...pod, KUBECONFIG: '/k' }, serviceAccountTokenPresent: true })).toBeUndefined();
    expect(selectInClusterServer({ env: pod, serviceAccountTokenPresent: true, kubeconfig: 'apiVersion: v1' })).toBeUndefined();
  });

  it('reaches the API server with the mounted token and CA, defaulting to the mounted namespace', async () => {
    const kube = await createKubeClient({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cluster.sim.port) }, serviceAccountDir: dir, homeDir: dir });
    expect(kube.server).toBe(`https://127.0.0.1:${cluster.sim.port}`);
    expect(kube.defaultNamespace).toBe('opsbook-runs');
    const { items } = await kube.list('v1', 'Namespace');
    expect(items.map((n) => n.metadata.name)).toContain('default');
    // A rotated token is read again (tokenFile): a wrong one is refused by the server.
    writeFileSync(path.join(dir, 'token'), 'not-a-token');
    const rotated = await createKubeClient({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(cluster.sim.port) }, serviceAccountDir: dir, homeDir: dir });
    await expect(rotated.list('v1', 'Namespace')).rejects.toThrow(/401|Unauthorized/);
    writeFileSync(path.join(dir, 'token'), cluster.sim.adminToken);
  });
});
