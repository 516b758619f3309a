import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCa, issueCertificate, loadCa, signCsr } from '../../src/pki/ca.js';
import { generateCsr, parseCsr } from '../../src/pki/csr.js';
import { generateKeyPair } from '../../src/pki/keys.js';

const dir = mkdtempSync(join(tmpdir(), 'opsbook-pki-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8' });
}

describe('CSR generation and parsing', () => {
  it('round-trips a kubelet client CSR (EC P-256) that openssl also reads', async () => {
    const csr = await generateCsr({ commonName: 'system:node:worker-0', organizations: ['system:nodes'] });
    const parsed = await parseCsr(csr.pem);
    expect(parsed).toMatchObject({
      commonName: 'system:node:worker-0',
      organizations: ['system:nodes'],
      key: { algorithm: 'EC', curve: 'P-256' },
      signatureValid: true,
      sans: { dnsNames: [], ipAddresses: [], emails: [], uris: [] },
    });
    const file = join(dir, 'client.csr');
    writeFileSync(file, csr.pem);
    expect(openssl(['req', '-in', file, '-noout', '-verify', '-subject'])).toContain('CN = system:node:worker-0');
  });

  it('reads SANs and RSA key sizes of a serving CSR', async () => {
    const csr = await generateCsr({
      keyType: 'rsa-2048',
      commonName: 'system:node:worker-1',
      organizations: ['system:nodes'],
      dnsNames: ['worker-1.example.com'],
      ipAddresses: ['10.0.0.11'],
    });
    const parsed = await parseCsr(csr.pem);
    expect(parsed.key).toMatchObject({ algorithm: 'RSA', bits: 2048 });
    expect(parsed.sans.dnsNames).toEqual(['worker-1.example.com']);
    expect(parsed.sans.ipAddresses).toEqual(['10.0.0.11']);
    expect(parsed.signatureValid).toBe(true);
  });

  it('reports a tampered signature as invalid rather than throwing', async () => {
    const a = await generateCsr({ commonName: 'system:node:a', organizations: ['system:nodes'] });
    const der = Buffer.from(a.pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    der[der.length - 5] = der[der.length - 5]! ^ 0xff;
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect((await parseCsr(pem)).signatureValid).toBe(false);
  });

  it('throws on something that is not a CSR', async () => {
    await expect(parseCsr('not a csr')).rejects.toThrow();
  });
});

describe('certificate authority', () => {
  it('signs a CSR into a certificate that openssl verifies against the CA', async () => {
    const ca = await createCa({ commonName: 'kubernetes' });
    const csr = await generateCsr({
      commonName: 'system:node:worker-0',
      organizations: ['system:nodes'],
      ipAddresses: ['10.0.0.10'],
    });
    const now = new Date();
    const cert = await signCsr(ca, csr.pem, {
      usages: ['digital signature', 'server auth'],
      notBefore: now,
      notAfter: new Date(now.getTime() + 86_400_000),
    });
    writeFileSync(join(dir, 'ca.crt'), ca.certificatePem);
    writeFileSync(join(dir, 'leaf.crt'), cert.toString('pem'));
    expect(openssl(['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'leaf.crt')])).toContain('OK');
    const text = openssl(['x509', '-in', join(dir, 'leaf.crt'), '-noout', '-text']);
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toContain('IP Address:10.0.0.10');
    expect(text).toMatch(/Subject: O ?= ?system:nodes, CN ?= ?system:node:worker-0/);
  });

  it('never issues past the CA expiry and reloads a CA from PEM', async () => {
    const notBefore = new Date('2026-01-01T00:00:00Z');
    const ca = await createCa({ commonName: 'etcd-ca', keyType: 'ec-p256', notBefore, notAfter: new Date('2027-01-01T00:00:00Z') });
    const loaded = await loadCa(ca.certificatePem, ca.privateKeyPem);
    const keys = await generateKeyPair('ec-p256');
    const cert = await issueCertificate(loaded, {
      commonName: 'kube-etcd',
      publicKey: keys.publicKey,
      usages: ['digital signature', 'client auth'],
      notBefore,
      notAfter: new Date('2030-01-01T00:00:00Z'),
    });
    expect(cert.notAfter.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});
