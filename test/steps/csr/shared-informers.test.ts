import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireInformer } from '../../../src/steps/csr/shared-informers.js';
import { startCluster, worker, type Cluster } from './harness.js';

describe('shared informers', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ name: 'shared', machines: [worker('worker-0', '10.0.1.10')] });
  });
  afterAll(() => cluster?.stop());

  it('gives consecutive steps of one client the same list+watch, and stops it once idle', async () => {
    const lists = () => cluster.sim.counters()['list certificatesigningrequests'] ?? 0;
    const first = acquireInformer(cluster.kube, 'certificates.k8s.io/v1', 'CertificateSigningRequest');
    await first.informer.ready();
    const second = acquireInformer(cluster.kube, 'certificates.k8s.io/v1', 'CertificateSigningRequest');
    expect(second.informer).toBe(first.informer);
    first.release();
    second.release();
    const third = acquireInformer(cluster.kube, 'certificates.k8s.io/v1', 'CertificateSigningRequest');
    expect(third.informer).toBe(first.informer); // picked up within the idle time: no new list
    expect(lists()).toBe(1);
    third.release();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const fourth = acquireInformer(cluster.kube, 'certificates.k8s.io/v1', 'CertificateSigningRequest');
    expect(fourth.informer).not.toBe(first.informer);
    await fourth.informer.ready();
    expect(lists()).toBe(2);
    fourth.release();
  });
});
