// cert-expiry on a simulated kubeadm node: its certificates expired three days ago except front-proxy-client (its CA
// is external: the key removed) and scheduler.conf (10 days left); the kubelet's have 200 days.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { certExpiryStep } from '../../../src/steps/certs/cert-expiry.js';
import { StepError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { createTestContext, createPlanContext } from './context.js';
import { startSimulatedNodes, type SimulatedNodes } from './simulated-nodes.js';

const DAY = 86_400_000;
let nodes: SimulatedNodes;
let start: number;

beforeAll(async () => {
  nodes = await startSimulatedNodes({ certificates: { expiresIn: '-3d', kubeletExpiresIn: '200d', overrides: { 'front-proxy-client': '200d', 'scheduler.conf': '10d' } } });
  rmSync(nodes.path('cp-1', '/etc/kubernetes/pki/front-proxy-ca.key'));
  start = nodes.clock.now();
});
afterAll(() => nodes?.sim.stop());

const params = (extra: Record<string, unknown> = {}) => certExpiryStep.normalize!({ nodes: [{ name: 'cp-1' }], ...extra });
const context = (at = start) => createTestContext({ clock: new VirtualClock({ start: at }), openNode: nodes.ctx.openNode! });

describe('cert-expiry', () => {
  it('reports every kubeadm certificate, the CAs and the kubelet certificates against the clock', async () => {
    const ctx = context();
    const out = await certExpiryStep.run(params(), ctx);
    const certs = out.nodes[0]!.certificates;
    expect(certs.map((c) => c.name)).toEqual([
      'admin.conf', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'controller-manager.conf',
      'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'front-proxy-client', 'scheduler.conf', 'super-admin.conf',
      'ca', 'etcd-ca', 'front-proxy-ca', 'kubelet-client-current.pem', 'kubelet-server-current.pem',
    ]);
    const byName = Object.fromEntries(certs.map((c) => [c.name, c]));
    const apiserver = new X509Certificate(readFileSync(nodes.path('cp-1', '/etc/kubernetes/pki/apiserver.crt')));
    expect(byName['apiserver']!.status).toBe('expired');
    expect(byName['apiserver']!.residual).toBe('<invalid>');
    expect(byName['apiserver']!.expires).toBe(new Date(apiserver.validTo).toISOString());
    expect(byName['scheduler.conf']!.status).toBe('warning');
    expect(byName['scheduler.conf']!.residual).toMatch(/^(9|10)d$/);
    expect(byName['front-proxy-client']!).toMatchObject({ status: 'ok', residual: '199d', certificateAuthority: 'front-proxy-ca', externallyManaged: true });
    expect(byName['front-proxy-ca']!.externallyManaged).toBe(true);
    expect(byName['ca']!).toMatchObject({ status: 'ok', residual: '8y', externallyManaged: false });
    expect(byName['kubelet-client-current.pem']!.status).toBe('ok');
    expect(out.expired).toBe(9);
    expect(out.missing).toBe(0);

    const [leafTable, caTable, kubeletTable] = ctx.tables;
    expect(leafTable!.columns).toEqual(['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']);
    expect(leafTable!.rows[1]).toEqual(['apiserver', expect.stringMatching(/^[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC$/), '<invalid>', 'ca', 'no']);
    expect(caTable!.columns).toEqual(['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']);
    expect(caTable!.rows.map((r) => r[0])).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
    expect(kubeletTable!.rows).toHaveLength(2);
  });

  it('measures expiry relative to the injected clock, not the wall clock', async () => {
    const out = await certExpiryStep.run(params({ certificates: ['control-plane'] }), context(start - 100 * DAY));
    expect(out.expired).toBe(0);
    expect(out.nodes[0]!.certificates.every((c) => c.group === 'leaf')).toBe(true);
  });

  it('fails the step when a certificate expires within failWithin, after reporting everything', async () => {
    const ctx = context();
    const error = await certExpiryStep.run(params({ failWithin: '30d', certificates: ['kubelet', 'ca'] }), ctx).then(() => undefined, (e: unknown) => e);
    expect(error).toBeUndefined();
    const failed = await certExpiryStep.run(params({ failWithin: '30d' }), ctx).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StepError);
    expect((failed as StepError).message).toMatch(/expired or expiring within 30d: cp-1\/admin.conf, cp-1\/apiserver/);
    expect(ctx.tables.length).toBeGreaterThan(0);
  });

  it('plan reads the same tables without failing, even within failWithin', async () => {
    const preview = await certExpiryStep.plan!(params({ failWithin: '30d' }), createPlanContext(context()));
    expect(preview.summary).toBe('9 expired, 10 expiring within 30d, 0 missing on cp-1 (fails when any expires within 30d)');
    expect(preview.tables!.map((t) => t.title)).toEqual(['cp-1: certificates', 'cp-1: certificate authorities', 'cp-1: kubelet certificates']);
  });

  it('reports missing files instead of crashing', async () => {
    const ctx = context();
    const out = await certExpiryStep.run(params({ kubernetesDir: '/srv/empty/etc/kubernetes', kubeletPkiDir: '/srv/nope' }), ctx);
    expect(out.missing).toBe(16);
    expect(out.nodes[0]!.certificates.every((c) => c.status === 'missing')).toBe(true);
    expect(ctx.tables[0]!.rows[0]![0]).toBe('!MISSING! admin.conf');
  });
});
