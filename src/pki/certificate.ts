// Reads what operators and renewal care about from an X.509 certificate: names, usages, validity, issuer.

import { x509 } from './x509.js';
import { parsePemBlocks } from './pem.js';

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.3': 'codeSigning',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
  '1.3.6.1.5.5.7.3.9': 'ocspSigning',
};

const KEY_USAGE_NAMES: [number, string][] = [
  [1, 'digitalSignature'], [2, 'nonRepudiation'], [4, 'keyEncipherment'], [8, 'dataEncipherment'],
  [16, 'keyAgreement'], [32, 'keyCertSign'], [64, 'cRLSign'], [128, 'encipherOnly'], [256, 'decipherOnly'],
];

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** DNS names and IP addresses from subjectAltName, as `DNS:x` / `IP:y`. */
  sans: string[];
  /** Extended key usages by name (`serverAuth`, `clientAuth`) or OID when unnamed. */
  extKeyUsages: string[];
  keyUsages: string[];
  /** `RSA-2048`, `EC-P-256` … */
  keyAlgorithm: string;
  selfSigned: boolean;
  /** The parsed certificate, for signing and verification. */
  cert: x509.X509Certificate;
}

/** Parses the first CERTIFICATE block of a PEM text (or throws naming `source`). */
export function parseCertificate(pem: string | Buffer, source = 'certificate'): CertificateInfo {
  const block = parsePemBlocks(pem.toString()).find((b) => b.label === 'CERTIFICATE');
  if (!block) throw new Error(`${source}: no PEM CERTIFICATE block found`);
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(block.der);
  } catch (error) {
    throw new Error(`${source}: not a valid X.509 certificate: ${(error as Error).message}`, { cause: error });
  }
  return describeCertificate(cert);
}

export function describeCertificate(cert: x509.X509Certificate): CertificateInfo {
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    isCa: basic?.ca ?? false,
    sans: (san?.names.items ?? []).flatMap((n) => (n.type === 'dns' ? [`DNS:${n.value}`] : n.type === 'ip' ? [`IP:${n.value}`] : [])),
    extKeyUsages: (eku?.usages ?? []).map((u) => EKU_NAMES[String(u)] ?? String(u)),
    keyUsages: ku ? KEY_USAGE_NAMES.filter(([bit]) => (ku.usages & bit) !== 0).map(([, name]) => name) : [],
    keyAlgorithm: describeKeyAlgorithm(cert.publicKey.algorithm),
    selfSigned: cert.subject === cert.issuer,
    cert,
  };
}

function describeKeyAlgorithm(algorithm: { name: string }): string {
  const a = algorithm as { name: string } & { modulusLength?: number; namedCurve?: string };
  if (a.name.startsWith('RSA')) return `RSA-${a.modulusLength ?? '?'}`;
  if (a.name === 'ECDSA' || a.name === 'ECDH') return `EC-${a.namedCurve ?? '?'}`;
  return a.name;
}

/** true when `cert` names `ca` as its issuer and carries a valid signature by the CA's key. */
export async function isIssuedBy(cert: x509.X509Certificate, ca: x509.X509Certificate): Promise<boolean> {
  if (cert.issuer !== ca.subject) return false;
  try {
    return await cert.verify({ publicKey: ca.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
