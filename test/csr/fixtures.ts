// Real PKCS#10 requests wrapped in CertificateSigningRequest objects, for policy and step tests.

import { encodeCsrForApi, generateCsr } from '../../src/pki/csr.js';
import type { KeyType } from '../../src/pki/keys.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { CLIENT_SIGNER, SERVING_SIGNER } from '../../src/csr/index.js';

export const BOOTSTRAPPER = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';

export interface CsrFixture {
  name?: string;
  signerName?: string;
  username?: string;
  groups?: string[];
  usages?: string[];
  createdAt?: number;
  keyType?: KeyType;
  commonName?: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  emails?: string[];
  uris?: string[];
  /** Use this PEM instead of generating one. */
  pem?: string;
  /** Flip a byte of the signature so it no longer verifies. */
  tamper?: boolean;
}

let counter = 0;

/** Corrupt the last byte of the DER (inside the signature) and re-wrap as PEM. */
export function tamperSignature(pem: string): string {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  der[der.length - 1] = der[der.length - 1]! ^ 0x01;
  const lines = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines}\n-----END CERTIFICATE REQUEST-----\n`;
}

export async function makeCsrObject(f: CsrFixture): Promise<KubeObject> {
  let pem = f.pem;
  if (pem === undefined) {
    const generated = await generateCsr({
      keyType: f.keyType ?? 'ec-p256',
      commonName: f.commonName,
      organizations: f.organizations ?? ['system:nodes'],
      dnsNames: f.dnsNames,
      ipAddresses: f.ipAddresses,
      emails: f.emails,
      uris: f.uris,
    });
    pem = f.tamper ? tamperSignature(generated.pem) : generated.pem;
  }
  counter += 1;
  return {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: {
      name: f.name ?? `csr-${counter}`,
      uid: `uid-${counter}-${Math.random().toString(16).slice(2)}`,
      creationTimestamp: new Date(f.createdAt ?? Date.parse('2026-01-01T00:00:00Z')).toISOString(),
    },
    spec: {
      request: encodeCsrForApi(pem),
      signerName: f.signerName,
      username: f.username,
      groups: f.groups,
      usages: f.usages,
    },
  };
}

/** A client CSR as the kubelet posts it, for node `node`; override any part. */
export function clientCsr(node: string, overrides: CsrFixture = {}): Promise<KubeObject> {
  return makeCsrObject({
    signerName: CLIENT_SIGNER,
    username: BOOTSTRAPPER,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:openshift-machine-config-operator', 'system:authenticated'],
    usages: ['digital signature', 'client auth'],
    commonName: `system:node:${node}`,
    ...overrides,
  });
}

/** A serving CSR as the kubelet posts it (requested as the node itself). */
export function servingCsr(node: string, overrides: CsrFixture = {}): Promise<KubeObject> {
  return makeCsrObject({
    signerName: SERVING_SIGNER,
    username: `system:node:${node}`,
    groups: ['system:nodes', 'system:authenticated'],
    usages: ['digital signature', 'server auth'],
    commonName: `system:node:${node}`,
    dnsNames: [node],
    ipAddresses: ['10.0.0.10'],
    ...overrides,
  });
}
