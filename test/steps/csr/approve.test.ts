import { afterEach, describe, expect, it } from 'vitest';
import { steps } from '../../../src/steps/csr/index.js';
import type { ApproveOutputs } from '../../../src/steps/csr/approver.js';
import { startCluster, runStep, planStep, worker, type Cluster } from './harness.js';
import type { KubeClient, KubeObject } from '../../../src/k8s/types.js';
import { BOOTSTRAPPER, INTRUDER, approvalCounts, approvalRequests, asNode, conditionsOf, injectCsr, servingRequest, stateOf } from './inject.js';

const step = (type: string) => steps.find((s) => s.type === type)!;
const nodes = ['worker-0', 'worker-1'];

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function twoWorkers(extra: Record<string, unknown> = {}) {
  cluster = await startCluster({
    name: 'csr-steps',
    timeScale: 60,
    machines: [worker('worker-0', '10.0.1.10'), worker('worker-1', '10.0.1.11')],
    ...extra,
  });
  return cluster;
}

function refusedChecks(outputs: ApproveOutputs | undefined): Record<string, string> {
  return Object.fromEntries((outputs?.refused ?? []).map((r) => [r.csr, r.check]));
}

describe('approve-client-csrs / approve-server-csrs against the simulated cluster', () => {
  it('approves the kubelets, refuses every rogue with its check, leaves rogues pending, and reports them', async () => {
    const c = await twoWorkers();
    await runStep(step('wait-for-pending'), { nodes }, c);
    const rogueClient = {
      requestor: await injectCsr(c.sim, { as: INTRUDER, commonName: 'system:node:worker-0' }),
      inventory: await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:evil-9' }),
      sans: await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:worker-1', dnsNames: ['worker-1'] }),
      signer: await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:worker-1', signerName: 'kubernetes.io/kube-apiserver-client' }),
    };
    const client = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c);
    expect(client.error).toBeUndefined();
    expect(Object.keys(client.outputs!.nodes)).toEqual(nodes);
    expect(client.outputs!.approved).toHaveLength(2);
    expect(refusedChecks(client.outputs)).toEqual({
      [rogueClient.requestor]: 'requestor',
      [rogueClient.inventory]: 'inventory',
      [rogueClient.sans]: 'sans',
      [rogueClient.signer]: 'signer',
    });
    expect(client.reports).toHaveLength(1);
    expect(client.reports[0]!.columns).toEqual(['CSR', 'node', 'requestor', 'reason']);
    expect(client.reports[0]!.rows.map((r) => r[0]).sort()).toEqual(Object.values(rogueClient).sort());
    expect(client.reports[0]!.rows.find((r) => r[0] === rogueClient.requestor)).toEqual([
      rogueClient.requestor,
      'worker-0',
      INTRUDER.username,
      expect.stringMatching(/^requestor: requestor system:serviceaccount:default:intruder is not an allowed bootstrapper/),
    ]);

    await runStep(step('wait-for-pending'), { nodes, kind: 'server' }, c);
    const rogueServer = {
      ip: await injectCsr(c.sim, servingRequest('worker-0', asNode('worker-0'), { ipAddresses: ['10.0.1.11'] })),
      dns: await injectCsr(c.sim, servingRequest('worker-0', asNode('worker-0'), { dnsNames: ['worker-1'] })),
      cn: await injectCsr(c.sim, servingRequest('worker-0', asNode('worker-1'), { dnsNames: ['worker-1'] })),
      stranger: await injectCsr(c.sim, servingRequest('evil-9', asNode('evil-9'), { dnsNames: ['evil-9'] })),
    };
    const server = await runStep<ApproveOutputs>(step('approve-server-csrs'), { nodes }, c);
    expect(server.error).toBeUndefined();
    expect(server.outputs!.approved).toHaveLength(2);
    expect(refusedChecks(server.outputs)).toEqual({
      [rogueServer.ip]: 'ip-identity',
      [rogueServer.dns]: 'dns-identity',
      [rogueServer.cn]: 'common-name',
      [rogueServer.stranger]: 'inventory',
    });
    const ready = await runStep<{ nodes: Record<string, string> }>(step('wait-node-ready'), { nodes }, c);
    expect(ready.outputs!.nodes).toEqual({ 'worker-0': 'Ready', 'worker-1': 'Ready' });
    expect(ready.progress.at(-1)).toBe('2/2 Ready');

    for (const name of [...Object.values(rogueClient), ...Object.values(rogueServer)]) expect(stateOf(c.sim, name)).toBe('pending');
    for (const name of [...client.outputs!.approved, ...server.outputs!.approved]) {
      const [approved] = conditionsOf(c.sim, name);
      expect(approved).toMatchObject({ type: 'Approved', reason: 'OpsbookApprove', message: expect.stringContaining('opsbook run test-run') });
    }
  });

  it('with deny: true denies refused CSRs with the failed check as the message', async () => {
    const c = await twoWorkers();
    await runStep(step('wait-for-pending'), { nodes }, c);
    const rogue = await injectCsr(c.sim, { as: INTRUDER, commonName: 'system:node:worker-0' });
    const client = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes, deny: true }, c);
    expect(client.outputs!.denied).toEqual([rogue]);
    expect(client.outputs!.refused).toEqual([expect.objectContaining({ csr: rogue, check: 'requestor', denied: true })]);
    expect(conditionsOf(c.sim, rogue)).toEqual([
      expect.objectContaining({ type: 'Denied', reason: 'OpsbookDeny', message: expect.stringMatching(/requestor: requestor system:serviceaccount:default:intruder/) }),
    ]);
  });

  it('is idempotent: a second run approves nothing again and sends no approval', async () => {
    const c = await twoWorkers();
    await runStep(step('wait-for-pending'), { nodes }, c);
    const first = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c);
    const requests = approvalRequests(c.sim);
    expect(requests).toBe(2);
    const second = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes, allowExistingNode: false }, c);
    expect(second.error).toBeUndefined();
    expect(second.outputs!.approved).toEqual(first.outputs!.approved); // recognised as this run's work
    expect(approvalRequests(c.sim)).toBe(requests);
    expect([...approvalCounts(c.sim).values()].every((n) => n <= 1)).toBe(true);
  });

  it('sends no spec.request in its /approval PUTs (the server keeps its own spec), and the stored requests stay whole', async () => {
    const c = await twoWorkers();
    // Not through wait-for-pending: the approve step must be the first to read (and parse) these CSRs, so the objects
    // it decides on still carry their PEMs.
    let before = await c.kube.list('certificates.k8s.io/v1', 'CertificateSigningRequest');
    while (before.items.length < nodes.length) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      before = await c.kube.list('certificates.k8s.io/v1', 'CertificateSigningRequest');
    }
    const bodies: KubeObject[] = [];
    const observe = (kube: KubeClient): KubeClient => ({
      ...kube,
      setCsrCondition: (csr, condition, signal) => {
        bodies.push(JSON.parse(JSON.stringify(csr)) as KubeObject);
        return kube.setCsrCondition(csr, condition, signal);
      },
    });
    const result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c, { wrapKube: observe });
    expect(result.outputs!.approved).toHaveLength(2);
    expect(bodies).toHaveLength(2);
    for (const body of bodies) expect(body.spec).not.toHaveProperty('request');
    const after = await c.kube.list('certificates.k8s.io/v1', 'CertificateSigningRequest');
    const requestOf = (items: KubeObject[]) => Object.fromEntries(items.map((o) => [o.metadata.name, (o.spec as { request?: string }).request]));
    const stored = requestOf(after.items);
    for (const [name, request] of Object.entries(requestOf(before.items))) expect(stored[name]).toBe(request);
    for (const name of result.outputs!.approved) expect(stateOf(c.sim, name)).toBe('approved');
  });

  it('an approval failing past its per-CSR retries is a transient error; retrying the step never approves anything twice', async () => {
    // Each CSR's write is retried within the attempt (write-retry.test.ts); only a fault rate this high outlasts that.
    const c = await twoWorkers({
      faults: { seed: 7, errors: [{ verbs: ['update'], resources: ['certificatesigningrequests/approval'], rate: 0.95, code: 503 }] },
    });
    await runStep(step('wait-for-pending'), { nodes }, c);
    const classes: (string | undefined)[] = [];
    let result;
    for (let attempt = 1; attempt <= 30; attempt++) {
      // What the engine does under `retry.on: [transient]`: run the step again.
      result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c, { attempt });
      if (!result.error) break;
      classes.push(result.error.errorClass);
    }
    expect(result!.error).toBeUndefined();
    expect(classes.length).toBeGreaterThan(0);
    expect(new Set(classes)).toEqual(new Set(['transient']));
    expect(Object.keys(result!.outputs!.nodes)).toEqual(nodes);
    expect([...approvalCounts(c.sim).values()].every((n) => n <= 1)).toBe(true);
  });

  it('times out naming the nodes without an approvable CSR and why', async () => {
    const c = await twoWorkers();
    await runStep(step('wait-for-pending'), { nodes }, c);
    await injectCsr(c.sim, { as: INTRUDER, commonName: 'system:node:worker-7' });
    const result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes: [...nodes, 'worker-7'] }, c, { timeoutMs: 120_000 });
    expect(result.error?.errorClass).toBe('timeout');
    expect(result.error?.message).toMatch(/^no approved client CSR for worker-7; refused for them: rogue-\w+ \(worker-7\): requestor system:serviceaccount:default:intruder/);
    expect(result.reports[0]!.rows).toHaveLength(1);
  });

  it('plan lists what would be approved and refused and changes nothing', async () => {
    const c = await twoWorkers();
    await runStep(step('wait-for-pending'), { nodes }, c);
    const rogue = await injectCsr(c.sim, { as: BOOTSTRAPPER, commonName: 'system:node:worker-0', keyType: 'rsa-1024', organizations: ['system:nodes'] });
    const before = JSON.stringify(c.sim.access.list('certificatesigningrequests'));
    const countersBefore = c.sim.counters();
    const preview = await planStep(step('approve-client-csrs'), { nodes }, c);
    expect(preview.summary).toBe('would approve 2 client CSR(s), refuse 1');
    const rows = preview.tables![0]!.rows;
    expect(rows.filter((r) => r[3] === 'approve').map((r) => r[1]).sort()).toEqual(nodes);
    expect(rows.find((r) => r[0] === rogue)).toEqual([rogue, 'worker-0', BOOTSTRAPPER.username, 'refuse (leave pending)', expect.stringMatching(/^key: RSA key of 1024 bits/)]);
    expect(JSON.stringify(c.sim.access.list('certificatesigningrequests'))).toBe(before);
    const mutations = Object.keys(c.sim.counters()).filter((k) => !/^(get|list|watch) /.test(k) && !(k in countersBefore));
    expect(mutations).toEqual([]);
  });

  it('with supersede: deny approves the newest rotated CSR of each node and denies the older ones', async () => {
    // The kubelets re-post every simulated minute; wait until each node has three pending client CSRs.
    const c = await twoWorkers({ kubelet: { csrRetryInterval: '1m' }, timeScale: 120 });
    type Csr = { spec: { signerName: string } };
    const clientCsrs = () => (c.sim.access.list('certificatesigningrequests') as unknown as Csr[]).filter((x) => x.spec.signerName.endsWith('client-kubelet'));
    while (clientCsrs().length < 6) await c.sim.clock.sleep(10_000);
    const client = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes, supersede: 'deny' }, c);
    expect(client.error).toBeUndefined();
    expect(client.outputs!.superseded.length).toBeGreaterThanOrEqual(4);
    for (const name of client.outputs!.superseded) {
      expect(conditionsOf(c.sim, name)).toEqual([expect.objectContaining({ type: 'Denied', message: expect.stringMatching(/superseded by csr-/) })]);
    }
    // Per node: every client CSR older than its newest approved one is settled (denied as superseded), none left pending.
    const items = c.sim.summary().csrs.items.filter((x) => x.signerName.endsWith('client-kubelet'));
    for (const node of nodes) {
      const mine = items.filter((x) => x.node === node).sort((a, b) => a.created.localeCompare(b.created));
      const newestApproved = mine.filter((x) => x.state === 'approved').at(-1)!;
      expect(newestApproved).toBeDefined();
      const older = mine.filter((x) => x.created < newestApproved.created);
      expect(older.length).toBeGreaterThan(0);
      for (const x of older) expect(x.state, x.name).not.toBe('pending');
    }
    expect([...approvalCounts(c.sim).values()].every((n) => n <= 1)).toBe(true);
    await runStep(step('wait-for-pending'), { nodes, kind: 'server' }, c);
    await runStep(step('approve-server-csrs'), { nodes }, c);
    const ready = await runStep<{ ready: string[] }>(step('wait-node-ready'), { nodes }, c);
    expect(ready.outputs!.ready).toEqual(nodes);
  });

  it('refuses CSRs older than the rotation window on the simulated clock, approves the younger duplicates', async () => {
    // Machines booted 70 simulated minutes ago; their kubelets re-posted every 15 minutes.
    const c = await twoWorkers({ machines: [worker('worker-0', '10.0.1.10', { joinAt: '-70m' }), worker('worker-1', '10.0.1.11', { joinAt: '-70m' })] });
    await runStep(step('wait-for-pending'), { nodes }, c);
    const client = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c);
    expect(client.error).toBeUndefined();
    const tooOld = client.outputs!.refused.filter((r) => r.check === 'max-age');
    expect(tooOld.map((r) => r.node).sort()).toEqual(nodes);
    for (const r of tooOld) expect(r.reason).toMatch(/^created 7\dm ago, older than maxAge 60m$/);
    expect(client.outputs!.approved.length).toBeGreaterThanOrEqual(4); // several younger duplicates per node
    for (const r of tooOld) expect(stateOf(c.sim, r.csr)).toBe('pending');
  });

  it('checks serving SANs against Machine addresses with identity: machines', async () => {
    const c = await twoWorkers();
    await runStep(step('wait-for-pending'), { nodes }, c);
    await runStep(step('approve-client-csrs'), { nodes }, c);
    await runStep(step('wait-for-pending'), { nodes, kind: 'server' }, c);
    const rogue = await injectCsr(c.sim, servingRequest('worker-1', asNode('worker-1'), { ipAddresses: ['10.0.1.10'] }));
    const server = await runStep<ApproveOutputs>(step('approve-server-csrs'), { nodes, identity: 'machines' }, c);
    expect(server.error).toBeUndefined();
    expect(server.outputs!.approved).toHaveLength(2);
    expect(server.outputs!.refused).toEqual([
      expect.objectContaining({ csr: rogue, check: 'ip-identity', reason: expect.stringMatching(/per Machine worker-1/) }),
    ]);
  });

  it('approves kubeadm bootstrap-token requestors on a kubernetes-flavoured cluster', async () => {
    const c = await twoWorkers({ flavour: 'kubernetes', kubelet: { bootstrapIdentity: 'bootstrap-token' } });
    await runStep(step('wait-for-pending'), { nodes }, c);
    const client = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c);
    expect(client.error).toBeUndefined();
    expect(client.outputs!.approved).toHaveLength(2);
    const requestors = c.sim.summary().csrs.items.filter((x) => client.outputs!.approved.includes(x.name)).map((x) => x.requestor);
    expect(requestors).toEqual([expect.stringMatching(/^system:bootstrap:/), expect.stringMatching(/^system:bootstrap:/)]);
    const narrowed = await runStep<ApproveOutputs>(
      step('approve-client-csrs'),
      { nodes, requestors: ['system:serviceaccount:openshift-machine-config-operator:node-bootstrapper'] },
      c,
      { runId: 'other-run', timeoutMs: 60_000 },
    );
    expect(narrowed.error).toBeUndefined(); // already approved counts as done, whoever approved it
    expect(narrowed.outputs!.approved).toEqual([]);
  });

  it('accepts match: <regex> with a count instead of an inventory', async () => {
    const c = await twoWorkers();
    const pending = await runStep<{ nodes: string[] }>(step('wait-for-pending'), { match: 'worker-[0-9]+', count: 2 }, c);
    expect(pending.outputs!.nodes).toEqual(nodes);
    const client = await runStep<ApproveOutputs>(step('approve-client-csrs'), { match: 'worker-[0-9]+', count: 2 }, c);
    expect(Object.keys(client.outputs!.nodes)).toEqual(nodes);
  });
});
