// Renewal of an existing leaf with its existing CA: same subject, SANs and usages, a fresh key of the same kind.

import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { x509 } from './x509.js';
import type { CertificateAuthority } from './ca.js';
import { exportPrivateKeyPem, generateKeyPair, signingAlgorithm, type KeyType } from './keys.js';

/** kubeadm backdates certificates so a slightly slow clock elsewhere does not reject them. */
export const BACKDATE_MS = 5 * 60 * 1000;

/** How the private key file was encoded, so the renewed key is written the same way. */
export type KeyEncoding = 'pkcs1' | 'sec1' | 'pkcs8';

export interface ReissueOptions {
  ca: CertificateAuthority;
  /** Clock time of the renewal. */
  now: Date;
  /** New lifetime; capped at the CA's own expiry. */
  validityMs: number;
  /** @default encoding natural for the key type (pkcs1 for RSA, sec1 for EC, as kubeadm writes them) */
  keyEncoding?: KeyEncoding;
}

export interface Reissued {
  certificate: x509.X509Certificate;
  certificatePem: string;
  privateKeyPem: string;
  keyType: KeyType;
  notBefore: Date;
  notAfter: Date;
}

const REGENERATED = new Set(['2.5.29.14', '2.5.29.35']); // subjectKeyIdentifier, authorityKeyIdentifier

/** Re-issues `old` under `options.ca`; every extension but the key identifiers is copied byte for byte. */
export async function reissueCertificate(old: x509.X509Certificate, options: ReissueOptions): Promise<Reissued> {
  const keyType = keyTypeOf(old.publicKey.algorithm);
  const keys = await generateKeyPair(keyType);
  const caCert = options.ca.certificate;
  const notBefore = new Date(Math.max(options.now.getTime() - BACKDATE_MS, caCert.notBefore.getTime()));
  const notAfter = new Date(Math.min(options.now.getTime() + options.validityMs, caCert.notAfter.getTime()));
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: x509.Extension[] = old.extensions.filter((e) => !REGENERATED.has(e.type));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never));
  extensions.push(
    caKeyId ? new x509.AuthorityKeyIdentifierExtension(caKeyId) : await x509.AuthorityKeyIdentifierExtension.create(options.ca.keys.publicKey as never),
  );
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: old.subjectName,
    issuer: caCert.subjectName,
    notBefore,
    notAfter,
    publicKey: keys.publicKey as never,
    signingKey: options.ca.keys.privateKey as never,
    signingAlgorithm: signingAlgorithm(options.ca.keys.type) as never,
    extensions,
  });
  const pkcs8 = await exportPrivateKeyPem(keys.privateKey);
  const encoding = options.keyEncoding ?? (keyType.startsWith('rsa') ? 'pkcs1' : 'sec1');
  return {
    certificate,
    certificatePem: certificate.toString('pem') + '\n',
    privateKeyPem: encodePrivateKey(pkcs8, encoding),
    keyType,
    notBefore,
    notAfter: certificate.notAfter,
  };
}

/** The encoding of an existing private key PEM, from its BEGIN line. */
export function detectKeyEncoding(pem: string): KeyEncoding {
  if (pem.includes('BEGIN RSA PRIVATE KEY')) return 'pkcs1';
  if (pem.includes('BEGIN EC PRIVATE KEY')) return 'sec1';
  return 'pkcs8';
}

function encodePrivateKey(pkcs8Pem: string, encoding: KeyEncoding): string {
  if (encoding === 'pkcs8') return pkcs8Pem.endsWith('\n') ? pkcs8Pem : `${pkcs8Pem}\n`;
  return createPrivateKey(pkcs8Pem).export({ type: encoding, format: 'pem' }).toString();
}

/** The key type of a certificate's public key, so the renewed key is of the same kind. */
export function keyTypeOf(algorithm: { name: string }): KeyType {
  const a = algorithm as { name: string } & { modulusLength?: number; namedCurve?: string };
  if (a.name.startsWith('RSA')) {
    const bits = a.modulusLength ?? 2048;
    if (![1024, 2048, 3072, 4096].includes(bits)) throw new Error(`unsupported RSA key size ${bits}`);
    return `rsa-${bits}` as KeyType;
  }
  const byCurve: Record<string, KeyType> = { 'P-256': 'ec-p256', 'P-384': 'ec-p384', 'P-521': 'ec-p521' };
  const type = byCurve[a.namedCurve ?? ''];
  if (!type) throw new Error(`unsupported key algorithm ${a.name} ${a.namedCurve ?? ''}`.trim());
  return type;
}

/** true when `privateKeyPem` is the private half of `cert`'s public key. */
export async function keyMatchesCertificate(privateKeyPem: string, cert: x509.X509Certificate): Promise<boolean> {
  const spki = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
  return Buffer.from(cert.publicKey.rawData).equals(spki);
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}
