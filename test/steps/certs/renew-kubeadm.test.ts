import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { renewCertsStep } from '../../../src/steps/certs/renew-certs.js';
import { kubeadmRootfs, parseCheckExpiration } from '../../../src/steps/certs/kubeadm.js';
import { StepError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { createPkiFixture, CA_FILES, type PkiFixture } from '../../helpers/pki-fixture.js';
import { createTestContext } from './context.js';
import { FAKE_BIN, createFakeRuntime, moveUnderRootfs, openssl, readyzCluster, type FakeRuntime } from './renew-setup.js';

let base: PkiFixture;
let pki: PkiFixture | undefined;
/** pki's kubernetes directory moved to ROOT/etc/kubernetes (kubeadm knows no other place). */
let dir: string;
let runtime: FakeRuntime | undefined;

beforeAll(async () => {
  base = await createPkiFixture();
});
afterAll(() => base?.cleanup());
afterEach(() => {
  pki?.cleanup();
  runtime?.cleanup();
  pki = runtime = undefined;
  delete process.env.FAKE_KUBEADM_FAIL_AFTER;
});

function clone(): PkiFixture {
  pki = base.clone();
  dir = moveUnderRootfs(pki);
  return pki;
}

const params = (_p: PkiFixture, extra: Record<string, unknown> = {}) =>
  renewCertsStep.normalize!({
    nodes: [{ name: 'cp-1', transport: 'local' }],
    kubernetesDir: dir,
    strategy: 'kubeadm',
    kubeadm: join(FAKE_BIN, 'kubeadm'),
    crictl: join(FAKE_BIN, 'crictl'),
    readyz: { via: 'cluster' },
    ...extra,
  });

describe('renew-certs (kubeadm)', () => {
  it('runs `kubeadm certs renew all`, verifies the chains and new dates, parses check-expiration', async () => {
    pki = clone();
    runtime = createFakeRuntime();
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: readyzCluster().kube });
    const out = await renewCertsStep.run(params(pki), ctx);
    // kubeadm always renews /etc/kubernetes/*.conf: the fixture's ROOT/etc/kubernetes is reached through --rootfs.
    const rootfs = `--rootfs=${pki!.root}`;
    expect(runtime.calls('kubeadm')).toEqual([
      ['certs', 'renew', 'all', rootfs],
      ['certs', 'check-expiration', rootfs],
    ]);
    const node = out.nodes[0]!;
    expect(node.renewed).toHaveLength(11);
    for (const r of node.renewed) expect(r.newExpiry > r.previousExpiry).toBe(true);
    const check = node.kubeadmCheck!;
    expect(check.certificates.map((c) => c.name)).toContain('etcd-peer');
    expect(check.certificates.find((c) => c.name === 'apiserver')).toMatchObject({ residual: '364d', certificateAuthority: 'ca', externallyManaged: false });
    expect(check.authorities.map((c) => [c.name, c.residual])).toEqual([['ca', '9y'], ['etcd-ca', '9y'], ['front-proxy-ca', '9y']]);
    expect(openssl('verify', '-CAfile', join(dir, `${CA_FILES['etcd-ca']}.crt`), join(dir, 'pki/etcd/server.crt')).trim()).toMatch(/: OK$/);
    expect(ctx.logs.some((l) => /Done renewing certificates/.test(l))).toBe(true);
    expect(ctx.tables.find((t) => t.title === 'cp-1: kubeadm certs check-expiration')!.rows[0]).toEqual(['admin.conf', expect.stringMatching(/UTC$/), '364d', 'ca', 'no']);
    expect(runtime.calls('crictl').filter((a) => a[0] === 'stop')).toHaveLength(4);
  }, 60_000);

  it('renews certificates one by one when only some are due', async () => {
    pki = clone();
    runtime = createFakeRuntime();
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: readyzCluster().kube });
    const out = await renewCertsStep.run(params(pki, { renewWithin: '30d', restart: { enabled: false }, readyz: { enabled: false } }), ctx);
    const renews = runtime.calls('kubeadm').filter((a) => a[1] === 'renew').map((a) => a[2]);
    expect(renews).toHaveLength(10);
    expect(renews).not.toContain('front-proxy-client');
    expect(renews).not.toContain('all');
    expect(out.nodes[0]!.restarted).toEqual([]);
    expect(runtime.calls('crictl')).toEqual([]);
  }, 60_000);

  it('restores the backup byte for byte when kubeadm fails halfway', async () => {
    pki = clone();
    runtime = createFakeRuntime();
    process.env.FAKE_KUBEADM_FAIL_AFTER = '3';
    const before = pki.hashTree();
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: readyzCluster().kube });
    const error = (await renewCertsStep.run(params(pki), ctx).catch((e: unknown) => e)) as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.message).toMatch(/renewal failed before any restart — .* restored from .*: .*kubeadm certs renew all.*failed to renew apiserver-kubelet-client/);
    const after = pki.hashTree();
    const backups = Object.keys(after).filter((k) => k.includes('kubernetes-backup-'));
    expect(backups).toHaveLength(1);
    delete after[backups[0]!];
    expect(after).toEqual(before);
    expect(runtime.calls('crictl')).toEqual([]);
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
    pki = clone();
    runtime = createFakeRuntime(['etcd', 'etcd', 'etcd']);
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: readyzCluster().kube });
    const error = (await renewCertsStep.run(params(pki, { restart: { attempts: 2, retryDelay: '1m' } }), ctx).catch((e: unknown) => e)) as StepError;
    expect(error.message).toMatch(/^cp-1: certificates renewed and verified \(backup .*\), but restarting the control plane failed: cp-1: crictl stop \w+ \(etcd\) failed after 2 attempt\(s\): .*DeadlineExceeded/);
    expect(error.errorClass).toBe('permanent');
    expect(runtime.state().deadlineOnce).toEqual(['etcd']);
    // Renewed certificates stay: no rollback after verification.
    const end = openssl('x509', '-in', join(dir, 'pki/apiserver.crt'), '-noout', '-enddate').trim().replace('notAfter=', '');
    expect(Date.parse(end)).toBeGreaterThan(base.expiries.apiserver + 300 * 86_400_000);
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
