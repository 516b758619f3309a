// renew-certs with the native strategy on a PKI openssl built (RSA PKCS#1 and EC SEC1 keys, as kubeadm writes them)
// through the real local transport, whose shell-script writes are what the failure tests break. The simulation's
// nodes cover the restarts (renew-kubeadm.test.ts): here `crictl` is a program that does not exist, so reaching a
// restart where none may happen fails the test, and the success paths run with restart disabled.

import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renewCertsStep } from '../../../src/steps/certs/renew-certs.js';
import { parseYamlDocuments } from '../../../src/yaml/parse.js';
import { StepError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { execProcess } from '../../../src/proc/exec.js';
import type { Exec } from '../../../src/proc/types.js';
import { createPkiFixture, hashTree, LEAVES, CA_FILES, type PkiFixture } from '../../helpers/pki-fixture.js';
import { createTestContext, createPlanContext } from './context.js';
import { openssl, pemFile, readyzCluster } from './renew-setup.js';

const DAY = 86_400_000;
let pki: PkiFixture | undefined;

afterEach(() => {
  pki?.cleanup();
  pki = undefined;
});

const params = (p: PkiFixture, extra: Record<string, unknown> = {}) =>
  renewCertsStep.normalize!({
    nodes: [{ name: 'cp-1' }],
    kubernetesDir: p.kubernetesDir,
    strategy: 'native',
    crictl: 'opsbook-test-no-crictl',
    kubeadm: 'opsbook-test-no-kubeadm',
    restart: { enabled: false },
    readyz: { via: 'cluster', interval: '5s', timeout: '5m' },
    ...extra,
  });

/** The certificate of a leaf as PEM (from the .crt or the kubeconfig). */
function leafPem(p: PkiFixture, name: string): string {
  const leaf = LEAVES.find((l) => l.name === name)!;
  if (!leaf.kubeconfig) return readFileSync(join(p.kubernetesDir, `${leaf.file}.crt`), 'utf8');
  const config = parseYamlDocuments(readFileSync(join(p.kubernetesDir, leaf.file), 'utf8'))[0] as { users: { user: Record<string, string> }[] };
  return Buffer.from(config.users[0]!.user['client-certificate-data']!, 'base64').toString();
}
function leafKeyPem(p: PkiFixture, name: string): string {
  const leaf = LEAVES.find((l) => l.name === name)!;
  if (!leaf.kubeconfig) return readFileSync(join(p.kubernetesDir, `${leaf.file}.key`), 'utf8');
  const config = parseYamlDocuments(readFileSync(join(p.kubernetesDir, leaf.file), 'utf8'))[0] as { users: { user: Record<string, string> }[] };
  return Buffer.from(config.users[0]!.user['client-key-data']!, 'base64').toString();
}
const describeCert = (p: PkiFixture, name: string) => {
  const file = pemFile(p.root, `${name}.pem`, leafPem(p, name));
  return openssl('x509', '-in', file, '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage,keyUsage,basicConstraints', '-nameopt', 'RFC2253');
};

describe('renew-certs (native)', () => {
  it('re-issues every due leaf with its CA: openssl verifies, new dates, same names and usages, kubeconfigs updated', async () => {
    pki = await createPkiFixture({ externalCas: ['front-proxy-ca'] });
    const before = Object.fromEntries(LEAVES.map((l) => [l.name, describeCert(pki!, l.name)]));
    const beforeKeys = Object.fromEntries(LEAVES.map((l) => [l.name, leafKeyPem(pki!, l.name)]));
    const cluster = readyzCluster([500, 500]);
    const clock = new VirtualClock({ start: pki.now });
    const ctx = createTestContext({ clock, kube: cluster.kube });

    const out = await renewCertsStep.run(params(pki), ctx);
    const node = out.nodes[0]!;
    expect(node.renewed.map((r) => r.name).sort()).toEqual(LEAVES.map((l) => l.name).filter((n) => n !== 'front-proxy-client').sort());
    expect(node.skipped).toEqual([{ name: 'front-proxy-client', reason: expect.stringMatching(/external CA: front-proxy-ca key is not on the node/) }]);
    expect(ctx.logs.some((l) => /skipping front-proxy-client: external CA/.test(l))).toBe(true);

    const expectedEnd = new Date(Math.floor((pki.now + 365 * DAY) / 1000) * 1000);
    for (const leaf of LEAVES.filter((l) => l.name !== 'front-proxy-client')) {
      const file = pemFile(pki.root, `${leaf.name}.new.pem`, leafPem(pki, leaf.name));
      const caFile = join(pki.kubernetesDir, `${CA_FILES[leaf.ca]}.crt`);
      expect(openssl('verify', '-CAfile', caFile, file).trim(), leaf.name).toBe(`${file}: OK`);
      const end = openssl('x509', '-in', file, '-noout', '-enddate').trim().replace('notAfter=', '');
      expect(Math.abs(Date.parse(end) - expectedEnd.getTime()), leaf.name).toBeLessThanOrEqual(1000);
      expect(describeCert(pki, leaf.name), leaf.name).toBe(before[leaf.name]);
      // A new private key, of the same kind, that matches the certificate.
      const key = leafKeyPem(pki, leaf.name);
      expect(key).not.toBe(beforeKeys[leaf.name]);
      expect(key.split('\n')[0]).toBe(beforeKeys[leaf.name]!.split('\n')[0]);
      const keyFile = pemFile(pki.root, `${leaf.name}.key`, key);
      expect(openssl('pkey', '-in', keyFile, '-pubout')).toBe(openssl('x509', '-in', file, '-noout', '-pubkey'));
      expect(node.renewed.find((r) => r.name === leaf.name)!.newExpiry).toBe(new Date(Date.parse(end)).toISOString());
    }
    expect(leafKeyPem(pki, 'etcd-peer')).toContain('BEGIN EC PRIVATE KEY');
    // Untouched: the external CA's leaf.
    expect(describeCert(pki, 'front-proxy-client')).toBe(before['front-proxy-client']);

    // Kubeconfigs still parse, carry the new certificate and the current cluster CA.
    const admin = parseYamlDocuments(readFileSync(join(pki.kubernetesDir, 'admin.conf'), 'utf8'))[0] as Record<string, any>;
    expect(admin['current-context']).toBe('kubernetes-admin@kubernetes');
    expect(Buffer.from(admin.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(readFileSync(join(pki.kubernetesDir, 'pki/ca.crt'), 'utf8'));
    expect(admin.clusters[0].cluster.server).toBe('https://192.168.1.10:6443');

    // Backup taken first, named with the clock's time.
    expect(out.backups).toHaveLength(1);
    expect(out.backups[0]).toMatch(/kubernetes-backup-\d{8}T\d{6}Z-cp-1\.tar\.gz$/);
    expect(existsSync(out.backups[0]!)).toBe(true);

    // /readyz polled on the run's clock until it answered 200.
    expect(cluster.probes()).toBe(3);
    expect(node.readyAfterMs).toBe(10_000);
    expect(ctx.tables.find((t) => t.title === 'cp-1: renewed certificates')!.rows).toHaveLength(10);
  }, 60_000);

  it('replaces a stale certificate-authority-data in the kubeconfigs with the node\'s pki/ca.crt', async () => {
    pki = await createPkiFixture();
    const adminPath = join(pki.kubernetesDir, 'admin.conf');
    const caPem = readFileSync(join(pki.kubernetesDir, 'pki/ca.crt'), 'utf8');
    const stalePem = readFileSync(join(pki.kubernetesDir, 'pki/etcd/ca.crt'), 'utf8');
    const original = readFileSync(adminPath, 'utf8');
    const caData = (text: string) =>
      Buffer.from((parseYamlDocuments(text)[0] as Record<string, any>).clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    expect(caData(original)).toBe(caPem);
    writeFileSync(adminPath, original.replace(Buffer.from(caPem).toString('base64'), Buffer.from(stalePem).toString('base64')));
    expect(caData(readFileSync(adminPath, 'utf8'))).toBe(stalePem);

    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }) });
    await renewCertsStep.run(params(pki, { restart: { enabled: false }, readyz: { enabled: false } }), ctx);
    expect(caData(readFileSync(adminPath, 'utf8'))).toBe(caPem);
  }, 60_000);

  it('renews only what expires within renewWithin, and never past the CA expiry', async () => {
    pki = await createPkiFixture({ expiries: { 'scheduler.conf': Date.now() + 10 * DAY, 'etcd-server': Date.now() + 100 * DAY, apiserver: Date.now() + 100 * DAY } });
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: readyzCluster().kube });
    const out = await renewCertsStep.run(params(pki, { renewWithin: '30d', validity: '5000d' }), ctx);
    const renewed = out.nodes[0]!.renewed.map((r) => r.name);
    expect(renewed).toContain('scheduler.conf');
    expect(renewed).toContain('admin.conf');
    expect(renewed).not.toContain('etcd-server');
    expect(renewed).not.toContain('apiserver');
    expect(renewed).not.toContain('front-proxy-client');
    const caEnd = openssl('x509', '-in', join(pki.kubernetesDir, 'pki/ca.crt'), '-noout', '-enddate');
    const file = pemFile(pki.root, 'admin.pem', leafPem(pki, 'admin.conf'));
    expect(openssl('x509', '-in', file, '-noout', '-enddate')).toBe(caEnd);
  }, 60_000);

  it('restores the backup byte for byte when a CA key is unusable, before any restart', async () => {
    pki = await createPkiFixture();
    // Tests run as root, so "unreadable" is a directory where the etcd CA key should be.
    const etcdKey = join(pki.kubernetesDir, 'pki/etcd/ca.key');
    rmSync(etcdKey);
    mkdirSync(etcdKey);
    const before = hashTree(pki.kubernetesDir);
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: readyzCluster().kube });
    const error = await renewCertsStep.run(params(pki, { restart: { enabled: true } }), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).message).toMatch(/renewal failed before any restart — .* restored from .*kubernetes-backup-.*: CA etcd-ca: key .*pki\/etcd\/ca.key is unreadable/);
    expect(hashTree(pki.kubernetesDir)).toEqual(before);
  }, 60_000);

  it('restores every file byte for byte when a write fails halfway (failing transport operation)', async () => {
    pki = await createPkiFixture();
    const before = hashTree(pki.kubernetesDir);
    let writes = 0;
    const failingExec: Exec = async (file, args, options) => {
      if (file === 'sh' && String(args[1]).includes('mktemp') && String(args[1]).includes('mv -f "$t"') && ++writes === 7) {
        return { command: 'sh', exitCode: 1, signal: undefined, stdout: '', stderr: 'sh: write error: No space left on device', pid: 1 };
      }
      return execProcess(file, args, options);
    };
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), exec: failingExec, kube: readyzCluster().kube });
    const error = await renewCertsStep.run(params(pki, { restart: { enabled: true } }), ctx).catch((e: unknown) => e);
    expect(writes).toBe(7);
    expect((error as StepError).message).toMatch(/restored from .*No space left on device/);
    expect(hashTree(pki.kubernetesDir)).toEqual(before);
  }, 60_000);

  it('plan lists what would be renewed with current expiry, and changes nothing', async () => {
    pki = await createPkiFixture({ externalCas: ['front-proxy-ca'] });
    const before = hashTree(pki.root);
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }) });
    const preview = await renewCertsStep.plan!(params(pki), createPlanContext(ctx));
    expect(preview.summary).toMatch(/would renew 10 certificate\(s\) on 1 node\(s\) with native/);
    const rows = preview.tables![0]!.rows;
    expect(rows.find((r) => r[0] === 'apiserver')).toEqual(['apiserver', expect.stringMatching(/UTC$/), '<invalid>', 'ca', 'renew']);
    expect(rows.find((r) => r[0] === 'front-proxy-client')![4]).toMatch(/^skip: external CA/);
    expect(hashTree(pki.root)).toEqual(before);
  }, 60_000);

  it('fails with a timeout when the API server never becomes ready (virtual time, no real wait)', async () => {
    pki = await createPkiFixture();
    const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: readyzCluster(Array(1000).fill(500)).kube });
    const error = (await renewCertsStep.run(params(pki, { readyz: { via: 'cluster', timeout: '2m', interval: '10s' } }), ctx).catch((e: unknown) => e)) as StepError;
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toMatch(/^cp-1: certificates renewed and verified \(backup .*\), but waiting for the API server failed: cp-1: the API server did not answer \/readyz within 2m after the restart.*HTTP 500/);
  }, 60_000);
});

