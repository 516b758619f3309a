// Reads the journaled outputs of CSR and renew-certs steps into the report's CSR and certificate tables.

import type { ReportTable } from '../engine/events.js';
import type { CertRenewal, CsrDecision } from './model.js';

const CSR_STEP_TYPES = new Set(['approve-client-csrs', 'approve-server-csrs']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Approved CSRs (with their node) and refused ones with each reason; the refusal table stands in when outputs lack them. */
export function extractCsrs(
  type: string,
  outputs: Record<string, unknown> | undefined,
  tables: readonly ReportTable[],
): { approved: CsrDecision[]; refused: CsrDecision[] } | undefined {
  if (!CSR_STEP_TYPES.has(type)) return undefined;
  const nodeOf = new Map<string, string>();
  if (isRecord(outputs?.nodes)) {
    for (const [node, csrs] of Object.entries(outputs.nodes)) if (Array.isArray(csrs)) for (const csr of csrs) if (typeof csr === 'string') nodeOf.set(csr, node);
  }
  const approved = (Array.isArray(outputs?.approved) ? outputs.approved : [])
    .filter((c): c is string => typeof c === 'string')
    .map((csr) => ({ csr, node: nodeOf.get(csr) ?? '' }));
  let refused: CsrDecision[] = (Array.isArray(outputs?.refused) ? outputs.refused : []).filter(isRecord).map((r) => {
    const reason = [text(r.check), text(r.reason)].filter(Boolean).join(': ');
    return { csr: text(r.csr) ?? '', node: text(r.node) ?? '', ...(text(r.requestor) ? { requestor: text(r.requestor)! } : {}), ...(reason ? { reason } : {}) };
  });
  if (refused.length === 0) refused = refusedFromTables(tables);
  return { approved, refused };
}

/** A failed CSR step journals no outputs, but its refusal table (CSR, node, requestor, reason) is still there. */
function refusedFromTables(tables: readonly ReportTable[]): CsrDecision[] {
  return tables
    .filter((t) => t.title.startsWith('Refused ') && t.columns[0] === 'CSR')
    .flatMap((t) => t.rows.map((row) => ({ csr: row[0] ?? '', node: row[1] ?? '', requestor: row[2] ?? '', reason: row[3] ?? '' })));
}

/** renew-certs: outputs.nodes[].renewed[] holds each certificate's previous and new expiry. */
export function extractCerts(type: string, outputs: Record<string, unknown> | undefined): CertRenewal[] | undefined {
  if (type !== 'renew-certs' || !Array.isArray(outputs?.nodes)) return undefined;
  return outputs.nodes.filter(isRecord).flatMap((node) =>
    (Array.isArray(node.renewed) ? node.renewed : []).filter(isRecord).map((r) => ({
      node: text(node.node) ?? '',
      certificate: text(r.name) ?? '',
      before: text(r.previousExpiry) ?? '',
      after: text(r.newExpiry) ?? '',
      ...(text(r.ca) ? { ca: text(r.ca)! } : {}),
    })),
  );
}
