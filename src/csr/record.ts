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

// Spec is immutable, so a parse is valid for the CSR's whole life; keyed by uid (name + creation as fallback).
const parsed = new Map<string, ParsedCsr | { error: string }>();
// A record is valid until the object changes (its resourceVersion), so each pass re-reads only what changed.
const records = new Map<string, { resourceVersion: string | undefined; record: CsrRecord }>();
const MAX_CACHED = 20_000;

async function parseRequest(request: string | undefined): Promise<ParsedCsr | { error: string }> {
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

function buildRecord(csr: CsrObject, request: ParsedCsr | { error: string }): CsrRecord {
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

/** The CSR as the policy sees it; the PKCS#10 request is parsed and its signature checked once per CSR. */
export async function readCsrRecord(object: KubeObject): Promise<CsrRecord> {
  const csr = object as CsrObject;
  const key = cacheKey(csr);
  const cached = findCachedRecord(csr);
  if (cached) return cached;
  let request = parsed.get(key);
  if (!request) {
    request = await parseRequest(csr.spec?.request);
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(key, request);
  }
  const record = buildRecord(csr, request);
  if (records.size >= MAX_CACHED) records.clear();
  records.set(key, { resourceVersion: csr.metadata.resourceVersion, record });
  return record;
}

/**
 * Reads many CSRs one after another: parsing a thousand at once would keep every half-parsed request alive
 * together and grow the heap for nothing (the work is single-threaded either way).
 */
export async function readCsrRecords(objects: readonly KubeObject[]): Promise<CsrRecord[]> {
  const out: CsrRecord[] = [];
  for (const object of objects) out.push(findCachedRecord(object as CsrObject) ?? (await readCsrRecord(object)));
  return out;
}

// Synchronous hit for an unchanged object, so a pass over thousands of CSRs allocates no promise per CSR.
function findCachedRecord(csr: CsrObject): CsrRecord | undefined {
  const cached = records.get(cacheKey(csr));
  const version = csr.metadata.resourceVersion;
  return cached && version !== undefined && cached.resourceVersion === version ? cached.record : undefined;
}

export function isParsed(request: CsrRecord['request']): request is ParsedCsr {
  return !('error' in request);
}
