// Issues X.509 certificates for CSRs with native crypto: what the simulation's signer controller does per approval.

import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  bitString, bytesOf, childrenOf, contentOf, explicit, fromPem, integer, octetString, oid, readNode, readOid,
  sequence, time, toPem, TRUE, type DerNode,
} from './der.js';
import { OID, signatureAlgorithm, type ReadCsr } from './csr.js';

const KEY_USAGE_BITS: Record<string, number> = { 'digital signature': 0x80, 'key encipherment': 0x20 };
const EXT_KEY_USAGE: Record<string, string> = { 'client auth': '1.3.6.1.5.5.7.3.2', 'server auth': '1.3.6.1.5.5.7.3.1' };

export interface Issuer {
  /** The CA's subject, as encoded: every issued certificate's issuer. */
  name: Buffer;
  keyId: Buffer;
  notAfter: number;
  key: KeyObject;
  algorithmId: Buffer;
  hash: string;
}

function readTime(der: Buffer, node: DerNode): number {
  const text = contentOf(der, node).toString('ascii');
  const full = node.tag === 0x17 ? `${Number(text.slice(0, 2)) >= 50 ? '19' : '20'}${text}` : text;
  return Date.UTC(+full.slice(0, 4), +full.slice(4, 6) - 1, +full.slice(6, 8), +full.slice(8, 10), +full.slice(10, 12), +full.slice(12, 14));
}

/** Reads what issuing needs from the CA certificate once: its name, key identifier and expiry. */
export function createIssuer(caCertPem: string, caKey: KeyObject): Issuer {
  const der = fromPem(caCertPem, 'CERTIFICATE');
  if (!der) throw new Error('no CERTIFICATE PEM block');
  const tbs = childrenOf(der, childrenOf(der, readNode(der, 0))[0]!);
  const fields = tbs[0]!.tag === 0xa0 ? tbs.slice(1) : tbs;
  const [, , , validity, subject, spki, ...rest] = fields;
  let keyId: Buffer | undefined;
  const extensions = rest.find((n) => n.tag === 0xa3);
  if (extensions) {
    for (const ext of childrenOf(der, childrenOf(der, extensions)[0]!)) {
      const parts = childrenOf(der, ext);
      if (readOid(der, parts[0]!) === '2.5.29.14') {
        const value = contentOf(der, parts[parts.length - 1]!);
        keyId = contentOf(value, readNode(value, 0));
      }
    }
  }
  // RFC 5280 method 1 when the CA carries no subject key identifier.
  keyId ??= createHash('sha1').update(contentOf(der, childrenOf(der, spki!)[1]!).subarray(1)).digest();
  const { algorithmId, hash } = signatureAlgorithm(caKey);
  return { name: bytesOf(der, subject!), keyId, notAfter: readTime(der, childrenOf(der, validity!)[1]!), key: caKey, algorithmId, hash };
}

function extension(id: string, value: Buffer, critical = false): Buffer {
  return critical ? sequence(oid(id), TRUE, octetString(value)) : sequence(oid(id), octetString(value));
}

function keyUsage(usages: string[]): Buffer | undefined {
  const bits = usages.reduce((acc, u) => acc | (KEY_USAGE_BITS[u] ?? 0), 0);
  if (bits === 0) return undefined;
  let unused = 0;
  while (!((bits >> unused) & 1)) unused++;
  return bitString(Buffer.from([bits]), unused);
}

export interface IssueRequest {
  csr: ReadCsr;
  usages: string[];
  notBefore: number;
  notAfter: number;
}

/** A certificate (PEM) with the CSR's subject, key and SANs; notAfter capped at the CA's own expiry. */
export function issueCertificate(issuer: Issuer, request: IssueRequest): string {
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const exts = [extension('2.5.29.19', sequence(), true)];
  const ku = keyUsage(request.usages);
  if (ku) exts.push(extension('2.5.29.15', ku, true));
  const eku = request.usages.map((u) => EXT_KEY_USAGE[u]).filter((o): o is string => o !== undefined);
  if (eku.length > 0) exts.push(extension('2.5.29.37', sequence(...eku.map(oid))));
  if (request.csr.sans) exts.push(extension(OID.subjectAltName, request.csr.sans));
  exts.push(extension('2.5.29.35', sequence(Buffer.concat([Buffer.from([0x80, issuer.keyId.length]), issuer.keyId]))));
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(serial),
    issuer.algorithmId,
    issuer.name,
    sequence(time(request.notBefore), time(Math.min(request.notAfter, issuer.notAfter))),
    request.csr.subject,
    request.csr.publicKey,
    explicit(3, sequence(...exts)),
  );
  const signature = sign(issuer.hash, tbs, issuer.key);
  return toPem(sequence(tbs, issuer.algorithmId, bitString(signature)), 'CERTIFICATE');
}
