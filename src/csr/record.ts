// Reads a CertificateSigningRequest object into a CsrRecord: decoded, parsed and signature-checked once per CSR.

import type { KubeObject } from '../k8s/types.js';
import { decodeCsrFromApi, parseCsr, type ParsedCsr } from '../pki/csr.js';
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
const parsed = new Map<string, Promise<ParsedCsr | { error: string }>>();
const MAX_CACHED = 20_000;

async function parseRequest(request: string | undefined): Promise<ParsedCsr | { error: string }> {
  if (!request) return { error: 'spec.request is empty' };
  try {
    return await parseCsr(decodeCsrFromApi(request));
  } catch (error) {
    return { error: `not a PKCS#10 request: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function parseCached(key: string, request: string | undefined): Promise<ParsedCsr | { error: string }> {
  let entry = parsed.get(key);
  if (!entry) {
    if (parsed.size >= MAX_CACHED) parsed.clear();
    entry = parseRequest(request);
    parsed.set(key, entry);
  }
  return entry;
}

export async function readCsrRecord(object: KubeObject): Promise<CsrRecord> {
  const csr = object as CsrObject;
  const spec = csr.spec ?? {};
  const created = Date.parse(csr.metadata.creationTimestamp ?? '');
  const key = csr.metadata.uid ?? `${csr.metadata.name}@${csr.metadata.creationTimestamp}`;
  return {
    name: csr.metadata.name ?? '',
    uid: csr.metadata.uid ?? '',
    signerName: spec.signerName ?? '',
    username: spec.username ?? '',
    groups: spec.groups ?? [],
    usages: spec.usages ?? [],
    createdAt: Number.isFinite(created) ? created : undefined,
    ...readCsrState(object),
    request: await parseCached(key, spec.request),
  };
}

export function isParsed(request: CsrRecord['request']): request is ParsedCsr {
  return !('error' in request);
}
