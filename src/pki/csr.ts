// PKCS#10 certificate requests: generate them (simulated kubelets, tests) and read them (approval policy).

import { x509 } from './x509.js';
import { describePublicKey, exportPrivateKeyPem, generateKeyPair, signingAlgorithm, type KeyInfo, type KeyPair, type KeyType } from './keys.js';
import { createSanExtension, readSans, readSubject, toJsonName, type SanSet, type SanSpec, type SubjectSpec } from './names.js';

export interface CsrSpec extends SubjectSpec, SanSpec {
  /** @default 'ec-p256' (what the kubelet uses) */
  keyType?: KeyType;
  /** Reuse a key pair instead of generating one. */
  keys?: KeyPair;
}

export interface GeneratedCsr {
  /** PEM "CERTIFICATE REQUEST". */
  pem: string;
  privateKeyPem: string;
  keys: KeyPair;
}

export async function generateCsr(spec: CsrSpec): Promise<GeneratedCsr> {
  const keys = spec.keys ?? (await generateKeyPair(spec.keyType ?? 'ec-p256'));
  const san = createSanExtension(spec);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: toJsonName(spec),
    keys: { privateKey: keys.privateKey, publicKey: keys.publicKey } as never,
    signingAlgorithm: signingAlgorithm(keys.type) as never,
    extensions: san ? [san] : [],
  });
  return { pem: request.toString('pem'), privateKeyPem: await exportPrivateKeyPem(keys.privateKey), keys };
}

export interface ParsedCsr {
  commonNames: string[];
  /** The single CN, or undefined when absent or repeated. */
  commonName: string | undefined;
  organizations: string[];
  sans: SanSet;
  /** true when a SAN extension was present but could not be decoded (counts as "has SANs"). */
  unreadableSans: boolean;
  key: KeyInfo;
  signatureValid: boolean;
}

/** Throws when `pem` is not a PKCS#10 request; a bad signature is reported, not thrown. */
export async function parseCsr(pem: string | Uint8Array): Promise<ParsedCsr> {
  const text = typeof pem === 'string' ? pem : new TextDecoder().decode(pem);
  const request = new x509.Pkcs10CertificateRequest(text);
  const subject = readSubject(request.subjectName);
  let sans: SanSet = { dnsNames: [], ipAddresses: [], emails: [], uris: [], other: [] };
  let unreadableSans = false;
  try {
    sans = readSans(request.extensions);
  } catch {
    unreadableSans = true;
  }
  let signatureValid = false;
  try {
    signatureValid = await request.verify();
  } catch {
    signatureValid = false;
  }
  return {
    commonNames: subject.commonNames,
    commonName: subject.commonNames.length === 1 ? subject.commonNames[0] : undefined,
    organizations: subject.organizations,
    sans,
    unreadableSans,
    key: describePublicKey(request.publicKey.algorithm as { name?: string }),
    signatureValid,
  };
}

/** base64 of the PEM, as `spec.request` of a CertificateSigningRequest carries it. */
export function encodeCsrForApi(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}

export function decodeCsrFromApi(request: string): string {
  return Buffer.from(request, 'base64').toString('utf8');
}
