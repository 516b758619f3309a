// CertificateSigningRequest rules as the real server enforces them: identity from the requester, spec immutable,
// /approval only adds Approved or Denied, /status sets the certificate.

import { parseCsr, decodeCsrFromApi } from '../../pki/csr.js';
import { readCsr, verifyCsr } from '../x509/csr.js';
import type { UserInfo } from './auth.js';
import { invalid, type FieldCause } from './status.js';
import { formatTime } from '../store/store.js';
import type { KObject } from '../store/types.js';

const KNOWN_USAGES = new Set([
  'signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment',
  'cert sign', 'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing',
  'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing',
  'microsoft sgc', 'netscape sgc',
]);
const SIGNER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+\/[-a-zA-Z0-9_.~%]+$/;
const FINAL = ['Approved', 'Denied', 'Failed'];

interface Condition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

type Spec = Record<string, unknown>;

function fail(name: string, causes: FieldCause[]): never {
  throw invalid('CertificateSigningRequest', 'certificates.k8s.io', name, causes);
}

/** Native DER reading and verification first (fast); the ASN.1 library for anything that path does not know. */
async function isSignatureValid(pem: string): Promise<boolean> {
  try {
    return verifyCsr(readCsr(pem));
  } catch {
    return (await parseCsr(pem)).signatureValid;
  }
}

/** Validates a new CSR and stamps the requester's identity over whatever the body claimed. */
export async function prepareCsrCreate(object: KObject, user: UserInfo): Promise<void> {
  const name = object.metadata.name;
  const spec = (object.spec ?? {}) as Spec;
  const causes: FieldCause[] = [];
  const request = spec.request;
  if (typeof request !== 'string' || request === '') {
    causes.push({ field: 'spec.request', message: 'Required value', reason: 'FieldValueRequired' });
  } else {
    const pem = decodeCsrFromApi(request);
    if (!pem.includes('-----BEGIN CERTIFICATE REQUEST-----')) {
      causes.push({ field: 'spec.request', message: 'Invalid value: []byte{...}: PEM block type must be CERTIFICATE REQUEST' });
    } else {
      try {
        if (!(await isSignatureValid(pem))) causes.push({ field: 'spec.request', message: 'Invalid value: []byte{...}: x509: signature verification failed' });
      } catch (error) {
        causes.push({ field: 'spec.request', message: `Invalid value: []byte{...}: ${(error as Error).message}` });
      }
    }
  }
  const signer = spec.signerName;
  if (typeof signer !== 'string' || signer === '') {
    causes.push({ field: 'spec.signerName', message: 'Required value', reason: 'FieldValueRequired' });
  } else if (!SIGNER_NAME.test(signer)) {
    causes.push({ field: 'spec.signerName', message: `Invalid value: "${signer}": must be a fully qualified domain and path of the form 'example.com/signer-name'` });
  }
  const usages = spec.usages;
  if (!Array.isArray(usages) || usages.length === 0) {
    causes.push({ field: 'spec.usages', message: 'Required value', reason: 'FieldValueRequired' });
  } else {
    usages.forEach((u, i) => {
      if (!KNOWN_USAGES.has(String(u))) causes.push({ field: `spec.usages[${i}]`, message: `Unsupported value: "${String(u)}"`, reason: 'FieldValueNotSupported' });
    });
  }
  if (spec.expirationSeconds !== undefined && !(Number(spec.expirationSeconds) >= 600)) {
    causes.push({ field: 'spec.expirationSeconds', message: `Invalid value: ${String(spec.expirationSeconds)}: may not specify a duration less than 600 seconds (10 minutes)` });
  }
  if (causes.length > 0) fail(name, causes);
  spec.username = user.username;
  if (user.uid) spec.uid = user.uid;
  else delete spec.uid;
  spec.groups = [...user.groups];
  if (user.extra) spec.extra = user.extra;
  else delete spec.extra;
  object.spec = spec;
  object.status = {};
}

/** The main resource may change metadata only. */
export function checkCsrUpdate(old: KObject, next: KObject): void {
  if (JSON.stringify(old.spec) !== JSON.stringify(next.spec)) {
    fail(old.metadata.name, [{ field: 'spec', message: 'Invalid value: "...": field is immutable' }]);
  }
  next.status = old.status;
}

function conditionsOf(object: KObject): Condition[] {
  const status = (object.status ?? {}) as { conditions?: Condition[] };
  return Array.isArray(status.conditions) ? status.conditions : [];
}

/** /approval: takes only the conditions; Approved and Denied are exclusive and never removed. */
export function applyCsrApproval(old: KObject, incoming: KObject, now: number): KObject {
  const name = old.metadata.name;
  const previous = conditionsOf(old);
  const next = conditionsOf(incoming).map((c) => ({ ...c }));
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  next.forEach((c, i) => {
    if (!c.type) causes.push({ field: `status.conditions[${i}].type`, message: 'Required value', reason: 'FieldValueRequired' });
    if (seen.has(c.type)) causes.push({ field: `status.conditions[${i}].type`, message: `Duplicate value: "${c.type}"`, reason: 'FieldValueDuplicate' });
    seen.add(c.type);
    c.status ||= 'True';
    if (FINAL.includes(c.type) && c.status !== 'True') {
      causes.push({ field: `status.conditions[${i}].status`, message: `Unsupported value: "${c.status}": supported values: "True"`, reason: 'FieldValueNotSupported' });
    }
  });
  if (seen.has('Approved') && seen.has('Denied')) {
    const i = next.findIndex((c) => c.type === 'Denied');
    causes.push({ field: `status.conditions[${i}].type`, message: 'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive' });
  }
  for (const c of previous) {
    if (FINAL.includes(c.type) && !seen.has(c.type)) {
      causes.push({ field: 'status.conditions', message: `Forbidden: updates may not remove a condition of type "${c.type}"`, reason: 'FieldValueForbidden' });
    }
  }
  if (causes.length > 0) fail(name, causes);
  const stamp = formatTime(now);
  for (const c of next) {
    const before = previous.find((p) => p.type === c.type);
    c.lastUpdateTime ??= before?.lastUpdateTime ?? stamp;
    c.lastTransitionTime ??= before && before.status === c.status ? (before.lastTransitionTime ?? stamp) : stamp;
  }
  // Stored objects are never mutated in place, so sharing spec with the old version is safe.
  const result: KObject = { ...old, metadata: { ...old.metadata, ...pickMetadataChanges(incoming) } };
  result.status = { ...((old.status ?? {}) as object), conditions: next };
  return result;
}

function pickMetadataChanges(incoming: KObject): Partial<KObject['metadata']> {
  const out: Partial<KObject['metadata']> = {};
  if (incoming.metadata?.labels) out.labels = incoming.metadata.labels;
  if (incoming.metadata?.annotations) out.annotations = incoming.metadata.annotations;
  return out;
}

/** /status: sets the certificate (once, and only on an approved CSR); Approved/Denied stay as they were; Failed stays once set. */
export function applyCsrStatus(old: KObject, incoming: KObject, now: number): KObject {
  const name = old.metadata.name;
  const oldStatus = (old.status ?? {}) as Record<string, unknown>;
  const newStatus = { ...((incoming.status ?? {}) as Record<string, unknown>) };
  const previous = conditionsOf(old);
  const kept = previous.filter((c) => c.type === 'Approved' || c.type === 'Denied');
  const others = conditionsOf(incoming).filter((c) => c.type !== 'Approved' && c.type !== 'Denied');
  if (previous.some((c) => c.type === 'Failed') && !others.some((c) => c.type === 'Failed')) {
    fail(name, [{ field: 'status.conditions', message: 'Forbidden: updates may not remove a condition of type "Failed"', reason: 'FieldValueForbidden' }]);
  }
  const stamp = formatTime(now);
  // Timestamps the signer left out are filled in, as kube-apiserver's populateConditionTimestamps does.
  const conditions = [
    ...kept,
    ...others.map((c) => {
      const before = previous.find((p) => p.type === c.type);
      return {
        ...c,
        lastUpdateTime: c.lastUpdateTime ?? before?.lastUpdateTime ?? stamp,
        lastTransitionTime: c.lastTransitionTime ?? (before && before.status === c.status ? (before.lastTransitionTime ?? stamp) : stamp),
      };
    }),
  ];
  if (conditions.length > 0) newStatus.conditions = conditions;
  else delete newStatus.conditions;
  const cert = newStatus.certificate;
  if (oldStatus.certificate && cert !== oldStatus.certificate) {
    fail(name, [{ field: 'status.certificate', message: 'Forbidden: updates may not modify existing certificate content', reason: 'FieldValueForbidden' }]);
  }
  if (cert && !oldStatus.certificate) {
    const approved = kept.some((c) => c.type === 'Approved');
    const denied = kept.some((c) => c.type === 'Denied');
    if (!approved || denied) {
      fail(name, [{ field: 'status.certificate', message: 'Forbidden: certificate may only be set if the Approved condition is present and the Denied condition is absent', reason: 'FieldValueForbidden' }]);
    }
    const pem = Buffer.from(String(cert), 'base64').toString('utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      fail(name, [{ field: 'status.certificate', message: 'Invalid value: "<certificate data>": must contain at least one CERTIFICATE PEM block' }]);
    }
  }
  // Stored objects are never mutated in place: the new version shares everything but metadata and status.
  return { ...old, metadata: { ...old.metadata }, status: newStatus };
}
