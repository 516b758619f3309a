// The simulation's native-crypto CSRs and certificates: readable by the ASN.1 library the approver uses and by openssl.

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, KeyObject, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsr } from '../../src/pki/csr.js';
import { createClusterPki } from '../../src/sim/pki.js';
import { createIssuer, issueCertificate } from '../../src/sim/x509/cert.js';
import { buildCsr, encodePublicKey, readCsr, verifyCsr } from '../../src/sim/x509/csr.js';
import { ipBytes } from '../../src/sim/x509/der.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-x509-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const KEYS = {
  'ec-p256': () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  'ec-p384': () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  'rsa-2048': () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

describe('native CSRs and certificates', () => {
  for (const [type, generate] of Object.entries(KEYS)) {
    it(`builds a ${type} serving CSR the library and openssl verify, and issues a certificate openssl accepts`, async () => {
      const keys = generate();
      expect(encodePublicKey(keys.publicKey)).toEqual(keys.publicKey.export({ type: 'spki', format: 'der' }));
      const pem = buildCsr(
        { commonName: 'system:node:worker-0', organizations: ['system:nodes'], dnsNames: ['worker-0', 'worker-0.example.com'], ipAddresses: ['10.0.50.126', 'fd00::1'] },
        keys.privateKey,
        encodePublicKey(keys.publicKey),
      );
      const parsed = await parseCsr(pem);
      expect(parsed).toMatchObject({ commonName: 'system:node:worker-0', organizations: ['system:nodes'], signatureValid: true });
      expect(parsed.sans).toMatchObject({ dnsNames: ['worker-0', 'worker-0.example.com'], ipAddresses: ['10.0.50.126', 'fd00::1'] });
      const csrFile = join(dir, `${type}.csr`);
      writeFileSync(csrFile, pem);
      expect(openssl(['req', '-in', csrFile, '-noout', '-verify', '-subject']).replace(/\s+/g, ' ')).toContain('system:node:worker-0');

      const read = readCsr(pem);
      expect(verifyCsr(read)).toBe(true);
      const pki = await createClusterPki();
      const issuer = createIssuer(pki.caPem, KeyObject.from(pki.ca.keys.privateKey));
      const now = Date.now();
      const certPem = issueCertificate(issuer, { csr: read, usages: ['digital signature', 'server auth'], notBefore: now - 60_000, notAfter: now + 3_600_000 });
      const caFile = join(dir, `${type}-ca.crt`);
      const certFile = join(dir, `${type}.crt`);
      writeFileSync(caFile, pki.caPem);
      writeFileSync(certFile, certPem);
      expect(openssl(['verify', '-CAfile', caFile, certFile])).toContain(': OK');
      const text = openssl(['x509', '-in', certFile, '-noout', '-text']);
      expect(text).toContain('TLS Web Server Authentication');
      expect(text).toContain('DNS:worker-0.example.com');
      const cert = new X509Certificate(certPem);
      expect(cert.checkIssued(new X509Certificate(pki.caPem))).toBe(true);
      expect(cert.subject).toContain('CN=system:node:worker-0');
    });
  }

  it('a client CSR has no SAN extension; a tampered request fails verification', async () => {
    const keys = KEYS['ec-p256']();
    const pem = buildCsr({ commonName: 'system:node:w', organizations: ['system:nodes'] }, keys.privateKey, encodePublicKey(keys.publicKey));
    expect(readCsr(pem).sans).toBeUndefined();
    expect((await parseCsr(pem)).sans.dnsNames).toEqual([]);
    const der = readCsr(pem).der;
    const tampered = Buffer.from(der);
    const at = tampered.indexOf(Buffer.from('system:node:w'));
    tampered[at + 12] = 'x'.charCodeAt(0);
    const tamperedPem = `-----BEGIN CERTIFICATE REQUEST-----\n${tampered.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(verifyCsr(readCsr(tamperedPem))).toBe(false);
    expect((await parseCsr(tamperedPem)).signatureValid).toBe(false);
  });

  it('encodes IPv4 and IPv6 (compressed, embedded IPv4) addresses', () => {
    expect([...ipBytes('10.0.0.1')]).toEqual([10, 0, 0, 1]);
    expect(ipBytes('fd00::1').toString('hex')).toBe('fd000000000000000000000000000001');
    expect(ipBytes('::ffff:10.0.0.1').toString('hex')).toBe('00000000000000000000ffff0a000001');
  });
});
