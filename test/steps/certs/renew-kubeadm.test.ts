// renew-certs with the kubeadm strategy on the simulation's kubeadm control-plane nodes: kubeadm and crictl behave
// there as on a real node, and /readyz is the node's own API server restarted with its renewed certificate.

import { afterEach, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { renewCertsStep } from '../../../src/steps/certs/renew-certs.js';
import { kubeadmRootfs, parseCheckExpiration } from '../../../src/steps/certs/kubeadm.js';
import { StepError } from '../../../src/errors.js';
import { execProcess } from '../../../src/proc/exec.js';
import { openssl } from './renew-setup.js';
import { startSimulatedNodes, type ControlPlaneInput, type SimulatedNodes } from './simulated-nodes.js';

let nodes: SimulatedNodes | undefined;
afterEach(async () => {
  await nodes?.sim.stop();
  nodes = undefined;
});

async function simulate(controlPlane: ControlPlaneInput = {}): Promise<SimulatedNodes> {
  nodes = await startSimulatedNodes(controlPlane);
  return nodes;
}

const params = (extra: Record<string, unknown> = {}) =>
  renewCertsStep.normalize!({
    nodes: [{ name: 'cp-1', transport: 'ssh', host: '10.200.0.3' }],
    strategy: 'kubeadm',
    // The node's own API server, as its renewed admin.conf names it, with that client certificate.
    readyz: { kubeconfig: 'admin.conf', interval: '1s' },
    ...extra,
  });

describe('renew-certs (kubeadm)', () => {
  it('runs `kubeadm certs renew all`, verifies chains and new dates, parses check-expiration, restarts the control plane and waits for the node\'s /readyz', async () => {
    const { ctx, calls, path } = await simulate({ stopDeadlineExceeded: ['kube-apiserver'] });
    const out = await renewCertsStep.run(params(), ctx);
    expect(calls('cp-1', 'kubeadm')).toEqual([['certs', 'renew', 'all'], ['certs', 'check-expiration']]);
    const node = out.nodes[0]!;
    expect(node.renewed).toHaveLength(11);
    for (const r of node.renewed) expect(r.newExpiry > r.previousExpiry).toBe(true);
    const check = node.kubeadmCheck!;
    expect(check.certificates.map((c) => c.name)).toContain('etcd-peer');
    expect(check.certificates.find((c) => c.name === 'apiserver')).toMatchObject({ residual: '364d', certificateAuthority: 'ca', externallyManaged: false });
    expect(check.authorities.map((c) => c.name)).toEqual(['ca', 'etcd-ca', 'front-proxy-ca']);
    expect(openssl('verify', '-CAfile', path('cp-1', '/etc/kubernetes/pki/etcd/ca.crt'), path('cp-1', '/etc/kubernetes/pki/etcd/server.crt')).trim()).toMatch(/: OK$/);
    expect(ctx.logs.some((l) => /Done renewing certificates/.test(l))).toBe(true);
    expect(ctx.tables.find((t) => t.title === 'cp-1: kubeadm certs check-expiration')!.rows[0]).toEqual(['admin.conf', expect.stringMatching(/UTC$/), '364d', 'ca', 'no']);
    // crictl found each control-plane container by its anchored name and stopped exactly those four (kube-apiserver's
    // DeadlineExceeded stopped again), never etcd-defrag.
    expect(calls('cp-1', 'crictl').filter((a) => a[0] === 'ps').map((a) => a[2])).toEqual(['^kube-apiserver$', '^kube-scheduler$', '^kube-controller-manager$', '^etcd$']);
    expect(calls('cp-1', 'crictl').filter((a) => a[0] === 'stop')).toHaveLength(5);
    expect(ctx.logs.some((l) => /kube-apiserver\): DeadlineExceeded, trying again \(1\/5\)/.test(l))).toBe(true);
    expect(node.restarted.map((r) => r.container)).toEqual(['kube-apiserver', 'kube-scheduler', 'kube-controller-manager', 'etcd']);
    const defrag = await nodes!.sim.controlPlane!.openNode(params().nodes[0]!, execProcess)!.run(['crictl', 'ps', '-a', '--name', 'etcd-defrag']);
    expect(defrag.stdout).toMatch(/Running +etcd-defrag +0 /);
    expect(defrag.stdout).not.toMatch(/Exited/);
    expect(node.readyAfterMs).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('renews certificates one by one when only some are due', async () => {
    const { ctx, calls } = await simulate({ certificates: { expiresIn: '-3d', overrides: { 'front-proxy-client': '200d' } } });
    const out = await renewCertsStep.run(params({ renewWithin: '30d', restart: { enabled: false }, readyz: { enabled: false } }), ctx);
    const renews = calls('cp-1', 'kubeadm').filter((a) => a[1] === 'renew').map((a) => a[2]);
    expect(renews).toHaveLength(10);
    expect(renews).not.toContain('front-proxy-client');
    expect(renews).not.toContain('all');
    expect(out.nodes[0]!.restarted).toEqual([]);
    expect(calls('cp-1', 'crictl')).toEqual([]);
  }, 60_000);

  it('restores the backup byte for byte when kubeadm fails halfway', async () => {
    const { ctx, calls, hashTree } = await simulate({ renewFailsAfter: 3 });
    const before = hashTree('cp-1');
    const error = (await renewCertsStep.run(params(), ctx).catch((e: unknown) => e)) as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.message).toMatch(/renewal failed before any restart — \/etc\/kubernetes restored from \/etc\/kubernetes-backup-.*: .*kubeadm certs renew all.*failed to write apiserver-kubelet-client: .*input\/output error/);
    expect(hashTree('cp-1')).toEqual(before);
    expect(Object.keys(hashTree('cp-1', '/etc')).filter((f) => f.startsWith('kubernetes-backup-'))).toHaveLength(1);
    expect(calls('cp-1', 'crictl')).toEqual([]);
  }, 60_000);
});

describe('kubeadm strategy and kubernetesDir', () => {
  it('maps /etc/kubernetes to no --rootfs and PREFIX/etc/kubernetes to --rootfs=PREFIX; nothing else', () => {
    expect(kubeadmRootfs('/etc/kubernetes')).toBe('');
    expect(kubeadmRootfs('/etc/kubernetes/')).toBe('');
    expect(kubeadmRootfs('/mnt/host/etc/kubernetes')).toBe('/mnt/host');
    expect(kubeadmRootfs('/tmp/x/kubernetes')).toBeUndefined();
    expect(kubeadmRootfs('/etc/kubernetes-old')).toBeUndefined();
    expect(kubeadmRootfs('etc/kubernetes')).toBeUndefined();
    expect(kubeadmRootfs('/a/../etc/kubernetes')).toBeUndefined();
  });

  it('check() refuses another directory for kubeadm (it would renew /etc/kubernetes/*.conf), accepts it for native', () => {
    const nodes = [{ name: 'cp-1', transport: 'local' }];
    expect(renewCertsStep.check!({ nodes, kubernetesDir: '/srv/k8s' })).toEqual([
      { path: 'kubernetesDir', message: expect.stringMatching(/kubeadm strategy needs \/etc\/kubernetes or PREFIX\/etc\/kubernetes .*--rootfs=PREFIX.*strategy: native.*got \/srv\/k8s/) },
    ]);
    expect(renewCertsStep.check!({ nodes, kubernetesDir: '/srv/k8s', strategy: 'kubeadm' })).toHaveLength(1);
    expect(renewCertsStep.check!({ nodes, kubernetesDir: '/srv/k8s', strategy: 'native' })).toEqual([]);
    expect(renewCertsStep.check!({ nodes, kubernetesDir: '/srv/etc/kubernetes' })).toEqual([]);
    expect(renewCertsStep.check!({ nodes })).toEqual([]);
  });
});

describe('renew-certs restart failures', () => {
  it('gives up after the configured attempts on repeated DeadlineExceeded, saying the certificates are already renewed', async () => {
    const { ctx, path, calls } = await simulate({ stopDeadlineExceeded: ['etcd', 'etcd', 'etcd'] });
    const error = (await renewCertsStep.run(params({ restart: { attempts: 2, retryDelay: '1m' } }), ctx).catch((e: unknown) => e)) as StepError;
    expect(error.message).toMatch(/^cp-1: certificates renewed and verified \(backup .*\), but restarting the control plane failed: cp-1: crictl stop \w+ \(etcd\) failed after 2 attempt\(s\): .*DeadlineExceeded/);
    expect(error.errorClass).toBe('permanent');
    expect(calls('cp-1', 'crictl').filter((a) => a[0] === 'stop')).toHaveLength(5);
    // Renewed certificates stay: no rollback after verification.
    const apiserver = new X509Certificate(readFileSync(path('cp-1', '/etc/kubernetes/pki/apiserver.crt')));
    expect(Date.parse(apiserver.validTo)).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  }, 60_000);
});

describe('parseCheckExpiration', () => {
  it('reads both tables, missing rows and <invalid> residual times', () => {
    const text = `[check-expiration] Reading configuration from the cluster...
[check-expiration] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'

CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED
admin.conf                 Dec 30, 2020 23:36 UTC   <invalid>       ca                      no
!MISSING! front-proxy-client
super-admin.conf           Jan 02, 2027 01:02 UTC   364d            ca                      yes

CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED
ca                      Dec 28, 2029 23:36 UTC   9y              no
`;
    const parsed = parseCheckExpiration(text);
    expect(parsed.certificates).toEqual([
      { name: 'admin.conf', expires: 'Dec 30, 2020 23:36 UTC', expiresAt: '2020-12-30T23:36:00.000Z', residual: '<invalid>', certificateAuthority: 'ca', externallyManaged: false, missing: false },
      { name: 'front-proxy-client', expires: '', residual: '', certificateAuthority: '', externallyManaged: false, missing: true },
      { name: 'super-admin.conf', expires: 'Jan 02, 2027 01:02 UTC', expiresAt: '2027-01-02T01:02:00.000Z', residual: '364d', certificateAuthority: 'ca', externallyManaged: true, missing: false },
    ]);
    expect(parsed.authorities).toEqual([
      { name: 'ca', expires: 'Dec 28, 2029 23:36 UTC', expiresAt: '2029-12-28T23:36:00.000Z', residual: '9y', externallyManaged: false, missing: false },
    ]);
  });
});
