// Reads a CertificateSigningRequest object into a CsrRecord: decoded, parsed and signature-checked once per CSR.

import type { KubeObject } from '../k8s/types.js';
import type { ParsedCsr } from '../pki/csr.js';
import type { CsrKind, CsrRecord, CsrState } from './types.js';
import { CLIENT_SIGNER, SERVING_SIGNER } from './types.js';

export const NODE_PREFIX = 'system:node:';

interface CsrObject extends KubeObject {
  spec?: { request?: string; signerName?: string; username?: string; groups?: string[]; usages?: string[] };
  status?: { conditions?: { type?: string; status?: string; message?: string }[]; certificate?: string };
}

/** Approved / Denied / Failed from the conditions; no decisive condition = pending (what `if not .status` means). */
export function readCsrState(object: KubeObject): { state: CsrState; approvalMessage?: string } {
  const conditions = (object as CsrObject).status?.conditions ?? [];
  const active = (type: string) => conditions.find((c) => c.type === type && (c.status ?? 'True') === 'True');
  if (active('Denied')) return { state: 'denied' };
  if (active('Failed')) return { state: 'failed' };
  const approved = active('Approved');
  if (approved) return { state: 'approved', approvalMessage: approved.message ?? '' };
  return { state: 'pending' };
}

export function readSignerName(object: KubeObject): string {
  return (object as CsrObject).spec?.signerName ?? '';
}

/** client for the kubelet client signer, server for kubelet-serving, undefined for any other signer. */
export function readCsrKind(object: KubeObject): CsrKind | undefined {
  const signer = readSignerName(object);
  if (signer === CLIENT_SIGNER) return 'client';
  if (signer === SERVING_SIGNER) return 'server';
  return undefined;
}

export function readUsername(object: KubeObject): string {
  return (object as CsrObject).spec?.username ?? '';
}

/** `system:node:<name>` → name (undefined for anything else). */
export function nodeNameOf(identity: string | undefined): string | undefined {
  if (!identity?.startsWith(NODE_PREFIX)) return undefined;
  const name = identity.slice(NODE_PREFIX.length);
  return name.length > 0 ? name : undefined;
}

export type ParsedRequest = ParsedCsr | { error: string };

// Spec is immutable, so a parse is valid for the CSR's whole life; keyed by uid (name + creation as fallback).
const parsed = new Map<string, ParsedRequest>();
const MAX_CACHED = 20_000;
// A cached object is one version of a CSR and never changes, so its record is kept with it (and dies with it):
// each pass re-reads only the versions it has not seen.
const records = new WeakMap<KubeObject, CsrRecord>();
// A projection that dropped spec.request carries the request's parse instead (not enumerable: never serialised).
const PARSED_REQUEST = Symbol('opsbook.parsedRequest');

async function parseRequest(request: string | undefined): Promise<ParsedRequest> {
  if (!request) return { error: 'spec.request is empty' };
  try {
    // Loaded on first use: the X.509 stack costs ~200 ms of start-up that validate/plan never need.
    const { decodeCsrFromApi, parseCsr } = await import('../pki/csr.js');
    return await parseCsr(decodeCsrFromApi(request));
  } catch (error) {
    return { error: `not a PKCS#10 request: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function cacheKey(csr: CsrObject): string {
  return csr.metadata.uid ?? `${csr.metadata.name}@${csr.metadata.creationTimestamp}`;
}

function buildRecord(csr: CsrObject, request: ParsedRequest): CsrRecord {
  const spec = csr.spec ?? {};
  const created = Date.parse(csr.metadata.creationTimestamp ?? '');
  return {
    name: csr.metadata.name ?? '',
    uid: csr.metadata.uid ?? '',
    signerName: spec.signerName ?? '',
    username: spec.username ?? '',
    groups: spec.groups ?? [],
    usages: spec.usages ?? [],
    createdAt: Number.isFinite(created) ? created : undefined,
    ...readCsrState(csr),
    request,
  };
}

/**
 * The parse of this CSR's request when it is already known (from an earlier version of the CSR, or carried by the
 * object): a projection may then drop spec.request and carry the parse instead (attachParsedRequest).
 */
export function findParsedRequest(object: KubeObject): ParsedRequest | undefined {
  return (object as { [PARSED_REQUEST]?: ParsedRequest })[PARSED_REQUEST] ?? parsed.get(cacheKey(object as CsrObject));
}

/** Makes `object` (a projection without spec.request) carry its request's parse, so no reader needs the PEM again. */
export function attachParsedRequest<T extends KubeObject>(object: T, request: ParsedRequest): T {
  Object.defineProperty(object, PARSED_REQUEST, { value: request, enumerable: false });
  return object;
}

/** The CSR as the policy sees it; the PKCS#10 request is parsed and its signature checked once per CSR. */
export async function readCsrRecord(object: KubeObject): Promise<CsrRecord> {
  const csr = object as CsrObject;
  const cached = records.get(object);
  if (cached) return cached;
  let request = findParsedRequest(csr);
  if (!request) {
    request = await parseRequest(csr.spec?.request);
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(cacheKey(csr), request);
  }
  const record = buildRecord(csr, request);
  records.set(object, record);
  return record;
}

/**
 * Reads many CSRs one after another: parsing a thousand at once would keep every half-parsed request alive
 * together and grow the heap for nothing (the work is single-threaded either way).
 */
export async function readCsrRecords(objects: readonly KubeObject[]): Promise<CsrRecord[]> {
  const out: CsrRecord[] = [];
  // A synchronous hit for an object already read, so a pass over thousands of CSRs allocates no promise per CSR.
  for (const object of objects) out.push(records.get(object) ?? (await readCsrRecord(object)));
  return out;
}

export function isParsed(request: CsrRecord['request']): request is ParsedCsr {
  return !('error' in request);
}
