// The cluster's certificate authority and the API server's serving certificate, generated in memory at start.

import { createCa, issueCertificate, signCsr, type CertificateAuthority, type Usage } from '../pki/ca.js';
import { exportPrivateKeyPem, generateKeyPair } from '../pki/keys.js';

export interface ClusterPki {
  ca: CertificateAuthority;
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
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
  };
}

const USAGES = new Set<Usage>(['digital signature', 'key encipherment', 'client auth', 'server auth']);

/** Signs a CSR as the cluster's signer controller would (validity in simulated time). */
export async function signRequest(pki: ClusterPki, csrPem: string, usages: string[], notBefore: number, lifetimeMs = YEAR): Promise<string> {
  const cert = await signCsr(pki.ca, csrPem, {
    usages: usages.filter((u): u is Usage => USAGES.has(u as Usage)),
    notBefore: new Date(notBefore - 5 * 60_000),
    notAfter: new Date(notBefore + lifetimeMs),
  });
  return cert.toString('pem');
}
