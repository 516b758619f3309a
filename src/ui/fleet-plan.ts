// `opsbook plan --fleet` as text: the waves, the clusters grouped by identical previews, the rollout's worst case.

import type { ClusterPlanSummary, PreviewGroup, RolloutWorstCase } from '../fleet/index.js';
import { formatDurationHuman } from '../time/duration.js';
import { listNames } from './fleet-format.js';

/** What `plan --fleet` computed (its JSON output has the same shape). */
export interface FleetPlanView {
  fleet: { name: string; file?: string };
  runbook: { name: string; file: string };
  strategy: { maxParallel: number; maxFailures: number; pause: string };
  /** offline: no cluster was asked for a preview. */
  offline: boolean;
  waves: Array<{ id: string; clusters: string[] }>;
  clusters: ClusterPlanSummary[];
  groups: PreviewGroup[];
  rollout: RolloutWorstCase;
  /** The runbook's deadline per cluster run, if it has one. */
  deadlineMs?: number;
  warnings: Array<{ warning: string; clusters: string[] }>;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "approve-client would approve 2 CSRs; nodes-ready: unavailable: …" — one group's previews on one line. */
function describeGroup(group: PreviewGroup): string {
  if (group.unreachable !== undefined) return `no preview: ${group.unreachable}`;
  const shown = group.previews.filter((p) => p.summary !== undefined);
  const parts = shown.map((p) => `${p.step}: ${p.summary}`);
  const unavailable = group.previews.length - shown.length;
  if (unavailable > 0) parts.push(`${plural(unavailable, 'step')} without a preview`);
  return parts.join('; ') || 'no step has a preview';
}

export function formatFleetPlan(plan: FleetPlanView): string[] {
  const total = plan.clusters.length;
  const out = [
    `Fleet plan for ${plan.runbook.name} (${plan.runbook.file}) on fleet ${plan.fleet.name}: ${plural(total, 'cluster')} in ${plural(plan.waves.length, 'wave')}, ` +
      `${plan.strategy.maxParallel} at once, ${plural(plan.strategy.maxFailures, 'failure')} tolerated, between waves: ${plan.strategy.pause}`,
    plan.offline ? 'Previews: offline (--offline): no cluster was contacted' : 'Previews: read-only, from each cluster',
    '',
    'Waves',
  ];
  for (const wave of plan.waves) out.push(`  ${wave.id}: ${plural(wave.clusters.length, 'cluster')}: ${listNames(wave.clusters, 10)}`);
  out.push('', 'Clusters, identical previews grouped');
  for (const group of plan.groups) {
    out.push(`  ${plural(group.clusters.length, 'cluster')}: ${describeGroup(group)}`);
    out.push(`    ${listNames(group.clusters, 10)}`);
  }
  const r = plan.rollout;
  const cut = plan.clusters.filter((c) => c.deadlineMs !== undefined && c.worstCaseMs > c.deadlineMs).length;
  const worst = Math.max(0, ...plan.clusters.map((c) => c.worstCaseMs));
  out.push('', 'Worst case');
  out.push(
    `  one cluster: ${formatDurationHuman(worst)}${plan.deadlineMs !== undefined ? ` against the runbook's deadline ${formatDurationHuman(plan.deadlineMs)}` : ', no deadline'}` +
      `${cut > 0 ? ` (${plural(cut, 'cluster')} would be cut off at a deadline)` : ''}`,
  );
  for (const w of r.waves) out.push(`  wave-${w.wave}: ${formatDurationHuman(w.worstCaseMs)} (${plural(w.clusters, 'cluster')}, ${Math.min(plan.strategy.maxParallel, w.clusters)} at once)`);
  out.push(
    `  whole rollout: ${formatDurationHuman(r.worstCaseMs)} (waves one after another${r.pausesMs > 0 ? `, ${formatDurationHuman(r.pausesMs)} of pauses` : ''})` +
      `${r.manualGates > 0 ? ` plus the time to approve ${plural(r.manualGates, 'gate')}` : ''}`,
  );
  if (plan.warnings.length > 0) {
    out.push('', 'Warnings');
    for (const w of plan.warnings) out.push(`  on ${plural(w.clusters.length, 'cluster')} (${listNames(w.clusters, 5)}): ${w.warning}`);
  }
  return out;
}
