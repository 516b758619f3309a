// A certificate authority: create one, load one from PEM, issue certificates (for CSRs or known public keys).

import { randomBytes, webcrypto } from 'node:crypto';
import { x509 } from './x509.js';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem, signingAlgorithm, type KeyPair, type KeyType } from './keys.js';
import { createSanExtension, readSans, readSubject, toJsonName, type SanSpec, type SubjectSpec } from './names.js';

const DAY = 24 * 60 * 60 * 1000;

export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  certificatePem: string;
  keys: KeyPair;
  privateKeyPem: string;
}

/** Kubernetes CSR `spec.usages` names. */
export type Usage =
  | 'digital signature'
  | 'key encipherment'
  | 'client auth'
  | 'server auth'
  | 'cert sign'
  | 'crl sign';

export interface CreateCaOptions {
  commonName: string;
  /** @default 'rsa-2048' (kubeadm's default) */
  keyType?: KeyType;
  /** @default now */
  notBefore?: Date;
  /** @default 10 years after notBefore (kubeadm's CA lifetime) */
  notAfter?: Date;
}

export async function createCa(options: CreateCaOptions): Promise<CertificateAuthority> {
  const keys = await generateKeyPair(options.keyType ?? 'rsa-2048');
  const notBefore = options.notBefore ?? new Date();
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 3650 * DAY);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: toJsonName({ commonName: options.commonName }),
    notBefore,
    notAfter,
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey } as never,
    signingAlgorithm: signingAlgorithm(keys.type) as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return {
    certificate,
    certificatePem: certificate.toString('pem'),
    keys,
    privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
  };
}

/** Load an existing CA (e.g. /etc/kubernetes/pki/ca.crt + ca.key). */
export async function loadCa(certificatePem: string, privateKeyPem: string): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(certificatePem);
  const keys = await importPrivateKeyPem(privateKeyPem);
  return { certificate, certificatePem: certificate.toString('pem'), keys, privateKeyPem };
}

export interface IssueOptions extends SubjectSpec, SanSpec {
  /** The subject's public key: a CryptoKey, or the PublicKey of a parsed CSR/certificate. */
  publicKey: webcrypto.CryptoKey | x509.PublicKey;
  usages: Usage[];
  notBefore: Date;
  notAfter: Date;
  /** Issue a CA certificate (basicConstraints CA:TRUE). @default false */
  isCa?: boolean;
}

const KEY_USAGE_FLAGS: Partial<Record<Usage, number>> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
};
const EXT_KEY_USAGES: Partial<Record<Usage, string>> = {
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'server auth': x509.ExtendedKeyUsage.serverAuth,
};

/** Issue a certificate signed by `ca`; notAfter is capped at the CA's own expiry. */
export async function issueCertificate(ca: CertificateAuthority, options: IssueOptions): Promise<x509.X509Certificate> {
  const keyUsage = options.usages.reduce((flags, usage) => flags | (KEY_USAGE_FLAGS[usage] ?? 0), 0);
  const extUsages = options.usages.map((usage) => EXT_KEY_USAGES[usage]).filter((u): u is string => u !== undefined);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(options.isCa ?? false, undefined, true)];
  if (keyUsage) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (extUsages.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(extUsages));
  const san = createSanExtension(options);
  if (san) extensions.push(san);
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey as never));
  const caExpiry = ca.certificate.notAfter.getTime();
  const notAfter = new Date(Math.min(options.notAfter.getTime(), caExpiry));
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: toJsonName(options),
    issuer: ca.certificate.subjectName.toJSON(),
    notBefore: options.notBefore,
    notAfter,
    publicKey: options.publicKey as never,
    signingKey: ca.keys.privateKey as never,
    signingAlgorithm: signingAlgorithm(ca.keys.type) as never,
    extensions,
  });
}

/** Sign a PKCS#10 request with the subject and SANs it asks for (what a signer controller does after approval). */
export async function signCsr(
  ca: CertificateAuthority,
  csrPem: string,
  options: { usages: Usage[]; notBefore: Date; notAfter: Date },
): Promise<x509.X509Certificate> {
  const request = new x509.Pkcs10CertificateRequest(csrPem);
  const subject = readSubject(request.subjectName);
  const sans = readSans(request.extensions);
  return issueCertificate(ca, {
    ...options,
    commonName: subject.commonNames[0],
    organizations: subject.organizations,
    ...sans,
    publicKey: request.publicKey,
  });
}

/** Positive 128-bit serial (leading byte masked so it is never read as negative). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}
