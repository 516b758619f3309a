// PKCS#10 requests with native crypto: the kubelets build them, the API server verifies them, the signer reads them.

import { createPublicKey, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  bitString, bytesOf, childrenOf, contentOf, explicit, fromPem, ipBytes, NULL, octetString, oid, readNode, readOid,
  sequence, set, tlv, toPem, utf8String, type DerNode,
} from './der.js';

export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

/** Signature algorithm OID → hash, for the algorithms Go and OpenSSL use with EC and RSA keys. */
const HASH_OF: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
};

const EC_SIGNATURE: Record<string, { oid: string; hash: string }> = {
  prime256v1: { oid: '1.2.840.10045.4.3.2', hash: 'sha256' },
  secp384r1: { oid: '1.2.840.10045.4.3.3', hash: 'sha384' },
  secp521r1: { oid: '1.2.840.10045.4.3.4', hash: 'sha512' },
};

/** The AlgorithmIdentifier and hash to sign with `key` (ECDSA hash follows the curve, as Go does). */
export function signatureAlgorithm(key: KeyObject): { algorithmId: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'ec') {
    const alg = EC_SIGNATURE[String(key.asymmetricKeyDetails?.namedCurve)];
    if (!alg) throw new Error(`unsupported EC curve ${String(key.asymmetricKeyDetails?.namedCurve)}`);
    return { algorithmId: sequence(oid(alg.oid)), hash: alg.hash };
  }
  if (key.asymmetricKeyType === 'rsa') return { algorithmId: sequence(oid('1.2.840.113549.1.1.11'), NULL), hash: 'sha256' };
  throw new Error(`unsupported key type ${String(key.asymmetricKeyType)}`);
}

export interface CsrFields {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
}

function attribute(type: string, value: string): Buffer {
  return set(sequence(oid(type), utf8String(value)));
}

/** A Name with O first, then CN (the order Go's pkix.Name produces). */
export function encodeName(fields: { commonName?: string; organizations?: string[] }): Buffer {
  const rdns = (fields.organizations ?? []).map((o) => attribute(OID.organization, o));
  if (fields.commonName !== undefined) rdns.push(attribute(OID.commonName, fields.commonName));
  return sequence(...rdns);
}

/** The GeneralNames of a SAN extension (dNSName [2], iPAddress [7]), or undefined when there are none. */
export function encodeSans(dnsNames: string[] = [], ipAddresses: string[] = []): Buffer | undefined {
  if (dnsNames.length + ipAddresses.length === 0) return undefined;
  return sequence(...dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...ipAddresses.map((ip) => tlv(0x87, ipBytes(ip))));
}

/** A signed CertificationRequest (PEM) for `fields`, with a SAN extension request when there are SANs. */
export function buildCsr(fields: CsrFields, privateKey: KeyObject, publicKeyDer: Buffer): string {
  const sans = encodeSans(fields.dnsNames, fields.ipAddresses);
  const attributes = sans
    ? explicit(0, sequence(oid(OID.extensionRequest), set(sequence(sequence(oid(OID.subjectAltName), octetString(sans))))))
    : explicit(0);
  const info = sequence(tlv(0x02, Buffer.from([0])), encodeName(fields), publicKeyDer, attributes);
  const { algorithmId, hash } = signatureAlgorithm(privateKey);
  const signature = sign(hash, info, privateKey);
  return toPem(sequence(info, algorithmId, bitString(signature)), 'CERTIFICATE REQUEST');
}

export interface ReadCsr {
  der: Buffer;
  /** The signed CertificationRequestInfo bytes. */
  info: Buffer;
  /** The subject Name as encoded. */
  subject: Buffer;
  /** The SubjectPublicKeyInfo as encoded. */
  publicKey: Buffer;
  signatureOid: string;
  signature: Buffer;
  /** The GeneralNames of a requested SAN extension, as encoded. */
  sans: Buffer | undefined;
}

function requestedSans(der: Buffer, attributes: DerNode | undefined): Buffer | undefined {
  if (!attributes) return undefined;
  for (const attr of childrenOf(der, attributes)) {
    const [type, values] = childrenOf(der, attr);
    if (!type || !values || readOid(der, type) !== OID.extensionRequest) continue;
    for (const extensions of childrenOf(der, values)) {
      for (const ext of childrenOf(der, extensions)) {
        const parts = childrenOf(der, ext);
        if (readOid(der, parts[0]!) === OID.subjectAltName) return contentOf(der, parts[parts.length - 1]!);
      }
    }
  }
  return undefined;
}

/** Splits a PEM CSR into its parts; throws on anything that is not a well-formed PKCS#10 request. */
export function readCsr(pem: string): ReadCsr {
  const der = fromPem(pem, 'CERTIFICATE REQUEST');
  if (!der) throw new Error('no CERTIFICATE REQUEST PEM block');
  const outer = readNode(der, 0);
  const [infoNode, algNode, sigNode] = childrenOf(der, outer);
  if (!infoNode || !algNode || !sigNode || sigNode.tag !== 0x03) throw new Error('malformed certification request');
  const [version, subject, publicKey, attributes] = childrenOf(der, infoNode);
  if (!version || !subject || !publicKey || subject.tag !== 0x30 || publicKey.tag !== 0x30) throw new Error('malformed certification request info');
  return {
    der,
    info: bytesOf(der, infoNode),
    subject: bytesOf(der, subject),
    publicKey: bytesOf(der, publicKey),
    signatureOid: readOid(der, childrenOf(der, algNode)[0]!),
    signature: contentOf(der, sigNode).subarray(1),
    sans: requestedSans(der, attributes?.tag === 0xa0 ? attributes : undefined),
  };
}

const CURVES: Record<string, { oid: string; crv: string; size: number }> = {
  'P-256': { oid: '1.2.840.10045.3.1.7', crv: 'P-256', size: 32 },
  'P-384': { oid: '1.3.132.0.34', crv: 'P-384', size: 48 },
};
const CURVE_BY_OID = new Map(Object.values(CURVES).map((c) => [c.oid, c]));

/** SubjectPublicKeyInfo DER of a key: built from its JWK for EC (10× cheaper than OpenSSL's DER encoder). */
export function encodePublicKey(key: KeyObject): Buffer {
  const jwk = key.asymmetricKeyType === 'ec' ? key.export({ format: 'jwk' }) : undefined;
  const curve = jwk?.crv ? CURVES[jwk.crv] : undefined;
  if (!jwk || !curve) return key.export({ type: 'spki', format: 'der' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return sequence(sequence(oid(OID.ecPublicKey), oid(curve.oid)), bitString(point));
}

/** An EC SubjectPublicKeyInfo as a JWK (OpenSSL imports that several times faster than DER), else undefined. */
function ecJwk(spki: Buffer): JsonWebKey | undefined {
  const [alg, bits] = childrenOf(spki, readNode(spki, 0));
  if (!alg || !bits) return undefined;
  const [type, params] = childrenOf(spki, alg);
  if (!type || !params || readOid(spki, type) !== OID.ecPublicKey || params.tag !== 0x06) return undefined;
  const curve = CURVE_BY_OID.get(readOid(spki, params));
  const point = contentOf(spki, bits).subarray(1);
  if (!curve || point[0] !== 4 || point.length !== 1 + 2 * curve.size) return undefined;
  return { kty: 'EC', crv: curve.crv, x: point.subarray(1, 1 + curve.size).toString('base64url'), y: point.subarray(1 + curve.size).toString('base64url') };
}

// A kubelet's client and serving CSRs share one key: imported once, not per request.
const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE = 4096;

function importPublicKey(spki: Buffer): KeyObject {
  const id = spki.toString('base64');
  let key = publicKeys.get(id);
  if (key) return key;
  const jwk = ecJwk(spki);
  key = jwk ? createPublicKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (publicKeys.size >= PUBLIC_KEY_CACHE) publicKeys.clear();
  publicKeys.set(id, key);
  return key;
}

/** true when the request's signature verifies with its own public key; throws for algorithms it does not know. */
export function verifyCsr(csr: ReadCsr): boolean {
  const hash = HASH_OF[csr.signatureOid];
  if (!hash) throw new Error(`unsupported signature algorithm ${csr.signatureOid}`);
  return verify(hash, csr.info, importPublicKey(csr.publicKey), csr.signature);
}
