// Fleet runs kept in a namespace, on the simulated API server over HTTPS through @kubernetes/client-node: the shared
// FleetStore contract, then the 1,000-cluster record's size, a 409 storm with lost answers, two processes' claims,
// and that only the verbs deploy/rbac.yaml grants are used.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { MAX_RECORD_BYTES, createKubernetesFleetStore } from '../../src/store/kubernetes/fleets.js';
import { REQUIRED_ACCESS } from '../../src/store/kubernetes/index.js';
import { fleetName } from '../../src/store/kubernetes/names.js';
import type { FleetRecord } from '../../src/store/index.js';
import { VirtualClock } from '../../src/time/clock.js';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import { useTestCluster } from '../k8s/helpers.js';
import { describeFleetStoreContract, fleetRecord } from './fleet-contract.js';
import { stormyClient } from './storm.js';

// The service account deploy/rbac.yaml binds, in the namespace the RBAC test applies it to (the simulation evaluates RBAC).
const { cluster, freshNamespace } = useTestCluster('fleets', { users: [{ name: 'system:serviceaccount:fleet-rbac:opsbook', token: 'opsbook-fleet-sa-token', groups: ['system:serviceaccounts'] }] } as never);

type FleetConfigMap = KubeObject & { binaryData?: Record<string, string> };
const ID = 'fleet-20261203-160000-000-abcdef';

describeFleetStoreContract('kubernetes namespace', async () => ({ store: createKubernetesFleetStore({ kube: cluster.kube, namespace: await freshNamespace() }), cleanup: () => undefined }));

/** As a real 1,000-cluster rollout that went badly leaves it: every cluster failed, with a run id and an error. */
function thousandClusters(): FleetRecord {
  const record = fleetRecord(ID, 'failed', 1000);
  record.clusters = record.clusters.map((c, i) => ({
    ...c,
    name: `prod-eu-west-${String(i).padStart(4, '0')}`,
    wave: i === 0 ? 1 : i <= 100 ? 2 : 3,
    connection: { kind: 'kubeconfig', kubeconfig: `/home/ops/.kube/fleet/prod-eu-west-${i}.kubeconfig`, context: `admin@prod-eu-west-${i}` },
    labels: { env: 'prod', region: 'eu-west', tier: i % 3 === 0 ? 'core' : 'edge' },
    inputs: { expectedWorkers: 2, approveTimeout: '30m', baseDomain: `c${i}.example.com` },
    status: 'failed',
    runId: `20261203-16${String(i % 60).padStart(2, '0')}00-${String(i % 1000).padStart(3, '0')}-${randomBytes(3).toString('hex')}`,
    failedStep: 'approve-client',
    error: `cannot reach cluster prod-eu-west-${i} (https://api.prod-eu-west-${i}.example.com:6443): connect ECONNREFUSED 10.${i >> 8}.${i & 255}.1:6443`,
    durationMs: 123_456 + i * 37,
  }));
  return record;
}

describe('kubernetes fleet store', () => {
  it('keeps a 1,000-cluster record in one ConfigMap, compressed far below 1 MiB, and reads it back exactly', async () => {
    const namespace = await freshNamespace();
    const store = createKubernetesFleetStore({ kube: cluster.kube, namespace });
    const record = thousandClusters();
    await store.writeFleet(record);
    expect(await createKubernetesFleetStore({ kube: cluster.kube, namespace }).readFleet(ID)).toEqual(record);
    const cm = (await cluster.kube.get<FleetConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name: fleetName(ID) }))!;
    const json = Buffer.byteLength(JSON.stringify(record));
    const stored = Buffer.from(cm.binaryData!['fleet.json.gz']!, 'base64').length;
    // The figures quoted in src/store/kubernetes/fleets.ts (run ids differ by a random part, so the size moves a little).
    console.log(`1,000-cluster fleet record: ${json} bytes of JSON, ${stored} bytes stored (gzip)`);
    expect(json).toBeGreaterThan(500_000);
    expect(stored).toBeLessThan(60_000);
    expect(cm.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'opsbook', 'opsbook.dev/fleet-id': ID, 'opsbook.dev/part': 'fleet' });
  });

  it('refuses a record that would not fit in a ConfigMap, naming its size, and keeps the last one written', async () => {
    const namespace = await freshNamespace();
    const store = createKubernetesFleetStore({ kube: cluster.kube, namespace });
    await store.writeFleet(fleetRecord(ID));
    const huge = fleetRecord(ID, 'running', 400);
    // Incompressible inputs: 400 × 3 KiB of random text is more than the limit even gzipped.
    for (const c of huge.clusters) c.inputs = { blob: randomBytes(3072).toString('base64') };
    const error = (await store.writeFleet(huge).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toMatch(new RegExp(`fleet run ${ID}: its record is \\d+ bytes compressed, more than a ConfigMap holds \\(${MAX_RECORD_BYTES}\\)`));
    expect(await store.readFleet(ID)).toEqual(fleetRecord(ID));
  });

  it('loses no write in a 409 storm and when a write lands but its answer is lost: the last record written is the one kept', async () => {
    const namespace = await freshNamespace();
    const other = await cluster.connect();
    // Two of every three record writes meet a 409; every fifth lands but its answer is lost.
    const storm = stormyClient(cluster.kube, other, namespace, 5);
    const store = createKubernetesFleetStore({ kube: storm.kube, namespace, clock: new VirtualClock() });
    const record = fleetRecord(ID, 'running', 5);
    for (let step = 0; step < 30; step++) {
      const changed = record.clusters[step % 5]!;
      changed.status = step < 25 ? 'running' : 'succeeded';
      changed.durationMs = step;
      record.updatedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, step)).toISOString();
      await store.writeFleet(structuredClone(record));
      expect(await createKubernetesFleetStore({ kube: other, namespace }).readFleet(ID)).toEqual(record);
    }
    // The storm must actually have hit the writer, or this test proves nothing.
    expect(storm.conflicts).toBeGreaterThan(10);
    expect(storm.lostAnswers).toBeGreaterThan(3);
  });

  it('lets exactly one of two stores (two processes) claim a fleet run; the other is told who holds it; an expired lease is taken over', async () => {
    const namespace = await freshNamespace();
    const a = createKubernetesFleetStore({ kube: cluster.kube, namespace, clock: new VirtualClock({ start: Date.now(), autoAdvance: false }) });
    const b = createKubernetesFleetStore({ kube: await cluster.connect(), namespace, clock: new VirtualClock({ start: Date.now() + 10_000, autoAdvance: false }) });
    const claimA = await a.claimFleet(ID);
    const refused = (await b.claimFleet(ID).catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(UsageError);
    expect(refused.message).toMatch(new RegExp(`^fleet run ${ID} is claimed by pid ${process.pid} on host .* \\(lease ${namespace}/opsbook-${ID},.*--break-lock`));
    expect(await b.isFleetActive(ID)).toBe(true);
    // 60 s later a has not renewed (its clock did not move): c takes the lease over without force.
    const c = createKubernetesFleetStore({ kube: await cluster.connect(), namespace, clock: new VirtualClock({ start: Date.now() + 60_000, autoAdvance: false }) });
    expect(await c.isFleetActive(ID)).toBe(false);
    const claimC = await c.claimFleet(ID);
    await claimC.release();
    await claimA.release();
  });

  it('uses only the verbs deploy/rbac.yaml grants (the run store\'s), on configmaps and leases', async () => {
    const namespace = await freshNamespace();
    const before = cluster.counters();
    const store = createKubernetesFleetStore({ kube: await cluster.connect(), namespace });
    await store.writeFleet(fleetRecord(ID));
    await store.writeFleet(fleetRecord(ID, 'succeeded'));
    await store.readFleet(ID);
    await store.listFleets();
    const claim = await store.claimFleet(ID);
    await store.isFleetActive(ID);
    await claim.release();
    const after = cluster.counters();
    const used = Object.keys(after).filter((k) => after[k] !== before[k] && /^\S+ (configmaps|leases\.coordination\.k8s\.io)$/.test(k));
    expect(used.length).toBeGreaterThan(3);
    const granted: Record<string, readonly string[]> = { configmaps: REQUIRED_ACCESS.configmaps, 'leases.coordination.k8s.io': REQUIRED_ACCESS.leases };
    for (const key of used) {
      const [verb, resource] = key.split(' ') as [string, string];
      expect(granted[resource], key).toContain(verb);
    }
  });

  it('deploy/rbac.yaml, applied as shipped (namespace renamed), lets its service account keep, list, read and claim fleet runs', async () => {
    const namespace = 'fleet-rbac';
    await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const manifests = parseYamlDocuments(readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8').replaceAll('opsbook-runs', namespace), 'deploy/rbac.yaml') as KubeObject[];
    for (const object of manifests) await cluster.kube.create(object);
    const { createKubeClient } = await import('../../src/k8s/client.js');
    const sa = await createKubeClient({ kubeconfig: cluster.sim.kubeconfig.replace(/token: .*/, 'token: opsbook-fleet-sa-token') });
    const store = createKubernetesFleetStore({ kube: sa, namespace });
    await store.writeFleet(fleetRecord(ID));
    await store.writeFleet(fleetRecord(ID, 'succeeded'));
    expect(await store.readFleet(ID)).toEqual(fleetRecord(ID, 'succeeded'));
    expect(await store.listFleets()).toEqual([ID]);
    const claim = await store.claimFleet(ID);
    expect(await store.isFleetActive(ID)).toBe(true);
    await claim.release();
    expect(await store.isFleetActive(ID)).toBe(false);
    // The Role is what allowed it: elsewhere the same identity is refused.
    const elsewhere = await freshNamespace();
    await expect(createKubernetesFleetStore({ kube: sa, namespace: elsewhere }).writeFleet(fleetRecord(ID))).rejects.toThrow(/forbidden|cannot/i);
  });

  it('refuses to read a record that is not one, naming the object', async () => {
    const namespace = await freshNamespace();
    await cluster.kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: fleetName(ID), namespace, labels: { 'opsbook.dev/part': 'fleet' } }, binaryData: { 'fleet.json.gz': Buffer.from('not gzip').toString('base64') } } as KubeObject);
    const error = (await createKubernetesFleetStore({ kube: cluster.kube, namespace }).readFleet(ID).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(`fleet run ${ID}: ConfigMap ${namespace}/opsbook-${ID} does not hold a readable record`);
  });
});
