// What `opsbook rehearse` prints at the end: the run's outcome and what the simulated cluster looks like now.

import type { SimSummary } from '../sim/summary.js';
import { formatDurationHuman } from '../time/duration.js';
import { oneLine } from './format-event.js';
import { formatTable } from './table.js';

export interface RehearsalOutcome {
  runId: string;
  status: 'succeeded' | 'failed' | 'interrupted';
  error?: string;
  exitCode: number;
}

export interface RehearsalReport {
  runbook: { name: string; file: string };
  scenario: string;
  timeScale: number;
  outcome: RehearsalOutcome;
  cluster: SimSummary;
}

/** The top request counters, busiest first (the rest summed in one line). */
function requestRows(byVerbResource: Record<string, number>, limit = 12): string[][] {
  const entries = Object.entries(byVerbResource).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const rows = entries.slice(0, limit).map(([key, n]) => {
    const [verb = key, ...resource] = key.split(' ');
    return [verb, resource.join(' '), String(n)];
  });
  const rest = entries.slice(limit).reduce((sum, [, n]) => sum + n, 0);
  if (rest > 0) rows.push(['(other)', `${entries.length - limit} more`, String(rest)]);
  return rows;
}

const expiryCell = (iso: string | undefined) => (iso ? iso.replace(/:\d\d\.\d+Z$/, 'Z').replace('T', ' ') : 'missing');

/** Each simulated node's certificates: expiry when the scenario started and now. */
function formatControlPlane(cp: NonNullable<SimSummary['controlPlane']>): string[] {
  const rows = cp.nodes.flatMap((n) =>
    n.certificates.map((c) => [n.name, c.name, expiryCell(c.before), expiryCell(c.after), c.before === c.after ? 'unchanged' : 'renewed']),
  );
  const renewed = rows.filter((r) => r[4] === 'renewed').length;
  const secret = cp.kubeconfigSecret;
  return [
    ...formatTable({ title: `Control-plane certificates of ${cp.cluster}: ${renewed} of ${rows.length} renewed`, columns: ['node', 'certificate', 'expiry before', 'expiry after', ''], rows }),
    `Admin cluster secret ${secret.namespace}/${secret.name}: ${secret.updates === 0 ? 'never updated' : `updated ${secret.updates} time(s) with the renewed admin kubeconfig`}`,
  ];
}

/** Text lines of the rehearsal report. */
export function formatRehearsal(report: RehearsalReport): string[] {
  const { cluster, outcome } = report;
  const out: string[] = [];
  out.push(
    `Rehearsal of ${report.runbook.name} (${report.runbook.file}) on scenario ${report.scenario} (${cluster.flavour}), ` +
      `time scale ${report.timeScale}×, ${formatDurationHuman(cluster.elapsedMs)} of simulated time`,
  );
  out.push(`Outcome: run ${outcome.runId} ${outcome.status}${outcome.error ? `: ${oneLine(outcome.error)}` : ''}`);
  out.push('');
  out.push(...formatTable({ title: `Nodes (${cluster.nodes.length})`, columns: ['name', 'status', 'roles'], rows: cluster.nodes.map((n) => [n.name, n.status, n.roles.join(',') || '<none>']) }));
  out.push('');
  const c = cluster.csrs;
  out.push(
    ...formatTable({
      title: `CSRs: ${c.approved} approved, ${c.denied} denied, ${c.pending} pending (${c.issued} certificates issued)`,
      columns: ['name', 'state', 'signer', 'requestor', 'node', 'note'],
      rows: c.items.map((i) => [i.name, i.state, i.signerName, i.requestor, i.node ?? '-', i.rogue ? `rogue: ${i.rogue}` : '']),
    }),
  );
  const rogueApproved = c.items.filter((i) => i.rogue && i.state === 'approved');
  if (rogueApproved.length > 0) out.push(`WARNING: ${rogueApproved.length} rogue CSR(s) were approved: ${rogueApproved.map((i) => i.name).join(', ')}`);
  if (cluster.operators.length > 0) {
    // Settled, unremarkable operators collapse into one line; the ones worth a look keep their conditions.
    const settled = (o: (typeof cluster.operators)[number]) =>
      o.available === 'True' && o.progressing === 'False' && o.degraded === 'False' && o.reason === 'AsExpected';
    const notable = cluster.operators.filter((o) => !settled(o));
    const quiet = cluster.operators.filter(settled);
    out.push('');
    out.push(
      ...formatTable({
        title: `Cluster operators (${cluster.operators.length}${quiet.length ? `; ${quiet.length} Available and settled not listed` : ''})`,
        columns: ['name', 'available', 'progressing', 'degraded', 'reason', 'message'],
        rows: notable.map((o) => [o.name, o.available, o.progressing, o.degraded, o.reason, o.message]),
      }),
    );
  }
  if (cluster.controlPlane) out.push('', ...formatControlPlane(cluster.controlPlane));
  out.push('');
  out.push(...formatTable({ title: `API requests: ${cluster.requests.total}`, columns: ['verb', 'resource', 'count'], rows: requestRows(cluster.requests.byVerbResource) }));
  const faults = Object.entries(cluster.requests.faults);
  if (faults.length > 0) out.push(`Faults injected: ${faults.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (cluster.errors.length > 0) out.push('', 'Simulation errors:', ...cluster.errors.map((e) => `  ${e}`));
  return out;
}
