import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate, isIssuedBy } from '../../src/pki/certificate.js';
import { reissueCertificate, keyMatchesCertificate, detectKeyEncoding, keyTypeOf } from '../../src/pki/reissue.js';
import { loadCa, createCa } from '../../src/pki/ca.js';
import { parsePemBlocks, encodePem } from '../../src/pki/pem.js';
import { createPkiFixture, type PkiFixture } from '../helpers/pki-fixture.js';
import { openssl } from '../steps/certs/renew-setup.js';

const DAY = 86_400_000;
let pki: PkiFixture;
const read = (rel: string) => readFileSync(join(pki.kubernetesDir, rel), 'utf8');

beforeAll(async () => {
  pki = await createPkiFixture({ kubelet: true });
});
afterAll(() => pki?.cleanup());

describe('parseCertificate', () => {
  it('reads subject, SANs, usages, validity and key type of an openssl-made certificate', () => {
    const info = parseCertificate(read('pki/apiserver.crt'));
    expect(info.subject).toBe('CN=kube-apiserver');
    expect(info.issuer).toBe('CN=kubernetes');
    expect(info.sans).toEqual([
      'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
      'DNS:cp-1', 'IP:10.96.0.1', 'IP:192.168.1.10',
    ]);
    expect(info.extKeyUsages).toEqual(['serverAuth']);
    expect(info.keyUsages).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(info.isCa).toBe(false);
    expect(info.keyAlgorithm).toBe('RSA-2048');
    expect(info.notAfter.getTime()).toBe(pki.expiries.apiserver);
    expect(parseCertificate(read('pki/etcd/peer.crt')).keyAlgorithm).toBe('EC-P-256');
    const ca = parseCertificate(read('pki/ca.crt'));
    expect(ca.isCa).toBe(true);
    expect(ca.selfSigned).toBe(true);
  });

  it('takes the certificate out of a combined cert+key file and names the source on garbage', () => {
    const kubelet = readFileSync(join(pki.kubeletPkiDir, 'kubelet-client-current.pem'), 'utf8');
    expect(parsePemBlocks(kubelet).map((b) => b.label)).toEqual(['CERTIFICATE', 'EC PRIVATE KEY']);
    expect(parseCertificate(kubelet).subject).toBe('O=system:nodes, CN=system:node:cp-1');
    expect(() => parseCertificate('hello', '/x.crt')).toThrow('/x.crt: no PEM CERTIFICATE block found');
    expect(() => parseCertificate(encodePem('CERTIFICATE', Buffer.from('nope')), '/y.crt')).toThrow(/\/y.crt: not a valid X.509 certificate/);
  });

  it('checks the chain: issued by its CA, not by another', async () => {
    const leaf = parseCertificate(read('pki/etcd/server.crt')).cert;
    expect(await isIssuedBy(leaf, parseCertificate(read('pki/etcd/ca.crt')).cert)).toBe(true);
    expect(await isIssuedBy(leaf, parseCertificate(read('pki/ca.crt')).cert)).toBe(false);
    const impostor = await createCa({ commonName: 'etcd-ca' });
    expect(await isIssuedBy(leaf, impostor.certificate)).toBe(false);
  });
});

describe('reissueCertificate', () => {
  it('keeps subject and every extension but the key ids, with a new key of the same kind, verified by openssl', async () => {
    const ca = await loadCa(read('pki/etcd/ca.crt'), read('pki/etcd/ca.key'));
    const old = parseCertificate(read('pki/etcd/peer.crt'));
    const now = Date.now();
    const renewed = await reissueCertificate(old.cert, { ca, now: new Date(now), validityMs: 365 * DAY, keyEncoding: detectKeyEncoding(read('pki/etcd/peer.key')) });
    const info = parseCertificate(renewed.certificatePem);
    expect(info.subject).toBe(old.subject);
    expect(info.sans).toEqual(old.sans);
    expect(info.extKeyUsages).toEqual(old.extKeyUsages);
    expect(info.keyUsages).toEqual(old.keyUsages);
    expect(info.keyAlgorithm).toBe('EC-P-256');
    expect(renewed.keyType).toBe('ec-p256');
    expect(renewed.privateKeyPem).toContain('BEGIN EC PRIVATE KEY');
    expect(info.notBefore.getTime()).toBe(Math.floor((now - 5 * 60_000) / 1000) * 1000);
    expect(Math.abs(info.notAfter.getTime() - (now + 365 * DAY))).toBeLessThan(1000);
    expect(await keyMatchesCertificate(renewed.privateKeyPem, info.cert)).toBe(true);
    expect(await keyMatchesCertificate(read('pki/etcd/peer.key'), info.cert)).toBe(false);
    const certFile = join(pki.root, 'peer-new.crt');
    writeFileSync(certFile, renewed.certificatePem);
    expect(openssl('verify', '-CAfile', join(pki.kubernetesDir, 'pki/etcd/ca.crt'), certFile).trim()).toBe(`${certFile}: OK`);
    expect(openssl('x509', '-in', certFile, '-noout', '-ext', 'authorityKeyIdentifier')).toContain(
      openssl('x509', '-in', join(pki.kubernetesDir, 'pki/etcd/ca.crt'), '-noout', '-ext', 'subjectKeyIdentifier').split('\n')[1]!.trim(),
    );
  });

  it('never issues past the CA expiry, and writes RSA keys as PKCS#1 like kubeadm', async () => {
    const ca = await loadCa(read('pki/ca.crt'), read('pki/ca.key'));
    const old = parseCertificate(read('pki/apiserver.crt'));
    const renewed = await reissueCertificate(old.cert, { ca, now: new Date(), validityMs: 20 * 365 * DAY });
    expect(renewed.notAfter.getTime()).toBe(ca.certificate.notAfter.getTime());
    expect(renewed.privateKeyPem).toContain('BEGIN RSA PRIVATE KEY');
    expect(keyTypeOf(renewed.certificate.publicKey.algorithm)).toBe('rsa-2048');
  });
});
