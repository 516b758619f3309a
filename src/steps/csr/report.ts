// Tables and progress lines for the CSR steps: what was refused and why, what a plan would do.

import type { ReportTable } from '../../engine/events.js';
import type { CheckId, CsrRecord, NodeSelector } from '../../csr/index.js';
import type { ApproveParams, Decisions, Refusal, Waiting } from './decide.js';

export interface RefusedOutput {
  csr: string;
  node: string;
  requestor: string;
  check: CheckId;
  reason: string;
  denied: boolean;
  [key: string]: unknown;
}

export function toRefusedOutput(refusal: Refusal, denied: ReadonlySet<string>): RefusedOutput {
  return {
    csr: refusal.record.name,
    node: refusal.node,
    requestor: refusal.record.username,
    check: refusal.check,
    reason: refusal.reason,
    denied: denied.has(refusal.record.name),
  };
}

/** One live log line per refusal, as it happens (the table comes at the end of the step). */
export function describeRefusal(label: string, refusal: Refusal): string {
  return `refused ${label} CSR ${refusal.record.name} (node ${refusal.node || '-'}, requestor ${refusal.record.username}): ${refusal.check}: ${refusal.reason}`;
}

/** e.g. "worker-1: serving CSR waits for its Node to register", one clause per distinct wait. */
export function describeWaiting(label: string, waiting: readonly Waiting[]): string {
  const nodesByWait = new Map<string, Set<string>>();
  for (const w of waiting) nodesByWait.set(w.waitingFor, (nodesByWait.get(w.waitingFor) ?? new Set()).add(w.node || '-'));
  return [...nodesByWait]
    .map(([waitingFor, nodes]) => `${abbreviate([...nodes].sort())}: ${label} CSR waits for ${waitingFor}`)
    .join('; ');
}

export function buildRefusalTable(label: string, refusals: Refusal[], denied: ReadonlySet<string>): ReportTable {
  return {
    title: `Refused ${label} CSRs`,
    columns: ['CSR', 'node', 'requestor', 'reason'],
    rows: refusals
      .map((r) => [r.record.name, r.node || '-', r.record.username, `${denied.has(r.record.name) ? 'denied: ' : ''}${r.check}: ${r.reason}`])
      .sort((a, b) => a[0]!.localeCompare(b[0]!)),
  };
}

export function buildDecisionTable(
  label: string,
  decisions: Decisions,
  params: ApproveParams,
  nodeOf: (record: CsrRecord) => string | undefined,
): ReportTable {
  const rows: string[][] = [];
  for (const record of decisions.approve) rows.push([record.name, nodeOf(record) ?? '-', record.username, 'approve', 'all checks pass']);
  for (const { record, by } of decisions.supersede) rows.push([record.name, nodeOf(record) ?? '-', record.username, 'deny', `superseded by ${by}`]);
  for (const r of decisions.refused) {
    const action = params.deny && r.final ? 'deny' : 'refuse (leave pending)';
    rows.push([r.record.name, r.node || '-', r.record.username, action, `${r.check}: ${r.reason}`]);
  }
  for (const w of decisions.waiting) {
    rows.push([w.record.name, w.node || '-', w.record.username, `wait for ${w.waitingFor}`, `${w.check}: ${w.reason}`]);
  }
  return { title: `Pending ${label} CSRs`, columns: ['CSR', 'node', 'requestor', 'action', 'reason'], rows };
}

/**
 * e.g. "serving CSRs approved for 3/5 nodes (waiting for worker-3, worker-4); 1 refused; worker-4: serving CSR waits
 * for its Node to register".
 */
export function describeApproveProgress(
  label: string,
  selector: NodeSelector,
  approved: Map<string, string[]>,
  missing: string[],
  refused: number,
  unverifiable: readonly Waiting[] = [],
): string {
  const total = selector.mode === 'inventory' ? selector.nodes.size : selector.count;
  const have = selector.mode === 'inventory' ? total - missing.length : Math.min(total, approved.size);
  const waiting = missing.length > 0 ? ` (waiting for ${abbreviate(missing)})` : '';
  const blocked = unverifiable.length > 0 ? `; ${describeWaiting(label, unverifiable)}` : '';
  return `${label} CSRs approved for ${have}/${total} nodes${waiting}${refused > 0 ? `; ${refused} refused` : ''}${blocked}`;
}

/** At most five names, then "+N more", so the detail line stays one line. */
export function abbreviate(names: string[], max = 5): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} +${names.length - max} more`;
}
