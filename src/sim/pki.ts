// The cluster's certificate authority and the API server's serving certificate, generated in memory at start.

import { KeyObject } from 'node:crypto';
import { createCa, issueCertificate, signCsr, type CertificateAuthority, type Usage } from '../pki/ca.js';
import { exportPrivateKeyPem, generateKeyPair } from '../pki/keys.js';
import { createIssuer, issueCertificate as issueNative, type Issuer } from './x509/cert.js';
import { readCsr } from './x509/csr.js';

export interface ClusterPki {
  ca: CertificateAuthority;
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** The CA prepared for native signing (the signer controller's fast path). */
  issuer: Issuer;
}

const HOUR = 3_600_000;
const YEAR = 365 * 24 * HOUR;

/**
 * A CA and a serving certificate for 127.0.0.1/localhost. Validity is wall-clock based: clients check the
 * serving certificate against real time, whatever the simulated clock says.
 */
export async function createClusterPki(): Promise<ClusterPki> {
  const realNow = Date.now();
  const ca = await createCa({ commonName: 'opsbook-sim-ca', keyType: 'ec-p256', notBefore: new Date(realNow - HOUR), notAfter: new Date(realNow + 100 * YEAR) });
  const serverKeys = await generateKeyPair('ec-p256');
  const cert = await issueCertificate(ca, {
    commonName: 'kube-apiserver',
    dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1'],
    publicKey: serverKeys.publicKey,
    usages: ['digital signature', 'key encipherment', 'server auth'],
    notBefore: new Date(realNow - HOUR),
    notAfter: new Date(realNow + 10 * YEAR),
  });
  return {
    ca,
    caPem: ca.certificatePem,
    serverCertPem: cert.toString('pem'),
    serverKeyPem: await exportPrivateKeyPem(serverKeys.privateKey),
    issuer: createIssuer(ca.certificatePem, KeyObject.from(ca.keys.privateKey)),
  };
}

/** A serving certificate from the cluster's CA for other names (the hosts a scenario impersonates) and 127.0.0.1. */
export async function issueServingCertificate(pki: ClusterPki, dnsNames: string[]): Promise<{ certPem: string; keyPem: string }> {
  const realNow = Date.now();
  const keys = await generateKeyPair('ec-p256');
  const cert = await issueCertificate(pki.ca, {
    commonName: dnsNames[0] ?? 'localhost',
    dnsNames: [...dnsNames, 'localhost'],
    ipAddresses: ['127.0.0.1'],
    publicKey: keys.publicKey,
    usages: ['digital signature', 'key encipherment', 'server auth'],
    notBefore: new Date(realNow - HOUR),
    notAfter: new Date(realNow + YEAR),
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

const USAGES = new Set<Usage>(['digital signature', 'key encipherment', 'client auth', 'server auth']);

/** Signs a CSR as the cluster's signer controller would (validity in simulated time). */
export async function signRequest(pki: ClusterPki, csrPem: string, usages: string[], notBefore: number, lifetimeMs = YEAR): Promise<string> {
  const wanted = usages.filter((u): u is Usage => USAGES.has(u as Usage));
  let csr;
  try {
    csr = readCsr(csrPem);
  } catch {
    csr = undefined; // not a shape the native path reads: let the ASN.1 library have a go
  }
  if (csr) return issueNative(pki.issuer, { csr, usages: wanted, notBefore: notBefore - 5 * 60_000, notAfter: notBefore + lifetimeMs });
  const cert = await signCsr(pki.ca, csrPem, {
    usages: wanted,
    notBefore: new Date(notBefore - 5 * 60_000),
    notAfter: new Date(notBefore + lifetimeMs),
  });
  return cert.toString('pem');
}
