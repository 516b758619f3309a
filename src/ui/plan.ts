// `opsbook plan` as text: waves, each step's effective policy and worst case, the critical path against the deadline.

import type { RetryPolicy } from '../runbook/types.js';
import type { PlanPreview } from '../steps/types.js';
import { formatDurationHuman } from '../time/duration.js';
import { formatTable } from './table.js';

/** The engine's plan, as far as rendering needs it (structurally matches planRunbook's result). */
export interface PlanView {
  runbook: { name: string; file: string; sha256: string };
  concurrency: number;
  deadline?: { source: string; ms: number };
  waves: string[][];
  steps: {
    id: string;
    name: string;
    type: string;
    needs: string[];
    wave: number;
    mutating: boolean;
    always: boolean;
    continueOnError: boolean;
    timeoutMs: number;
    retry: RetryPolicy;
    worstCaseMs: number;
    when?: { source: string; result: boolean | 'undetermined'; reason?: string };
    with?: Record<string, unknown>;
    /** Parameters only a real run can produce, e.g. `with.count`, `env.N`. */
    knownAfterRun?: string[];
    preview?: PlanPreview;
    previewUnavailable?: string;
    /** With --only/--skip: run, reuse (from --from-run) or skip. */
    selection?: { action: 'run' | 'reuse' | 'skip'; reason?: string; reusedFrom?: string };
  }[];
  criticalPath: { steps: string[]; worstCaseMs: number };
  warnings: string[];
  selection?: { only?: string[]; skip?: string[]; from?: string[]; fromRun?: string };
}

/** "would run" / "would reuse run X's outcome (not selected (--only a))" / "would skip: not selected (--skip b); …". */
function formatSelected(selection: NonNullable<PlanView['steps'][number]['selection']>): string {
  if (selection.action === 'run') return 'would run';
  if (selection.action === 'reuse') return `would reuse run ${selection.reusedFrom}'s outcome${selection.reason ? ` (${selection.reason})` : ''}`;
  return `would skip: ${selection.reason ?? 'not selected'}`;
}

function formatSelectionSummary(plan: PlanView): string | undefined {
  if (!plan.selection) return undefined;
  const asked = [
    plan.selection.from?.length ? `--from ${plan.selection.from.join(',')}` : '',
    plan.selection.only?.length ? `--only ${plan.selection.only.join(',')}` : '',
    plan.selection.skip?.length ? `--skip ${plan.selection.skip.join(',')}` : '',
    plan.selection.fromRun ? `--from-run ${plan.selection.fromRun}` : '',
  ].filter(Boolean);
  const list = (action: string) => plan.steps.filter((s) => s.selection?.action === action).map((s) => s.id);
  const part = (label: string, ids: string[]) => `${label} ${ids.length ? ids.join(', ') : '(none)'}`;
  return `Selection ${asked.join(' ')}: ${[part('would run', list('run')), part('would reuse', list('reuse')), part('would skip', list('skip'))].join('; ')}`;
}

/** "3 attempts, backoff 5s ×2 up to 1m with jitter, on transient/timeout" — or "no retry". */
export function formatRetry(retry: RetryPolicy): string {
  if (retry.attempts <= 1) return 'no retry';
  const b = retry.backoff;
  const parts = [
    `${retry.attempts} attempts`,
    `backoff ${formatDurationHuman(b.initialMs)} ×${b.factor} up to ${formatDurationHuman(b.maxMs)}${b.jitter ? ' with jitter' : ''}`,
    `on ${retry.on.join('/')}`,
  ];
  if (retry.maxDurationMs !== undefined) parts.push(`all attempts within ${formatDurationHuman(retry.maxDurationMs)}`);
  return parts.join(', ');
}

function formatWhen(when: NonNullable<PlanView['steps'][number]['when']>): string {
  const result = when.result === 'undetermined' ? 'undetermined' : when.result ? 'true → runs' : 'false → skipped';
  return `when ${when.source}: ${result}${when.reason ? ` (${when.reason})` : ''}`;
}

function formatParams(params: Record<string, unknown> | undefined): string | undefined {
  if (!params || Object.keys(params).length === 0) return undefined;
  const text = JSON.stringify(params);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Text lines of a plan. */
export function formatPlan(plan: PlanView): string[] {
  const out: string[] = [];
  const deadlineText = plan.deadline ? formatDurationHuman(plan.deadline.ms) : '';
  const deadline = plan.deadline
    ? `, deadline ${deadlineText}${plan.deadline.source !== deadlineText ? ` (${plan.deadline.source})` : ''}`
    : ', no deadline';
  out.push(`Plan for ${plan.runbook.name} (${plan.runbook.file}): ${plan.steps.length} steps in ${plan.waves.length} waves, concurrency ${plan.concurrency}${deadline}`);
  const summary = formatSelectionSummary(plan);
  if (summary) out.push(summary);
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  plan.waves.forEach((wave, i) => {
    out.push('', `Wave ${i + 1}`);
    for (const id of wave) {
      const s = byId.get(id);
      if (!s) continue;
      const flags = [s.type, s.mutating ? 'mutating' : 'read-only', s.always ? 'always' : '', s.continueOnError ? 'continue on error' : '']
        .filter(Boolean)
        .join(', ');
      out.push(`  ${s.id}${s.name !== s.id ? ` "${s.name}"` : ''} (${flags})${s.needs.length ? ` needs ${s.needs.join(', ')}` : ''}`);
      if (s.selection) out.push(`    ${formatSelected(s.selection)}`);
      out.push(`    timeout ${formatDurationHuman(s.timeoutMs)} per attempt; ${formatRetry(s.retry)}; worst case ${formatDurationHuman(s.worstCaseMs)}`);
      if (s.when) out.push(`    ${formatWhen(s.when)}`);
      // A shell script is already shown by the preview; the other parameters still matter.
      const params = formatParams(s.preview && s.with ? Object.fromEntries(Object.entries(s.with).filter(([k]) => k !== 'run')) : s.with);
      if (params) out.push(`    with ${params}`);
      if (s.knownAfterRun?.length) out.push(`    known after run: ${s.knownAfterRun.join(', ')}`);
      if (s.preview) {
        out.push(`    preview: ${s.preview.summary}`);
        for (const line of s.preview.lines ?? []) out.push(`      ${line}`);
        for (const table of s.preview.tables ?? []) out.push(...formatTable(table, '      '));
      } else if (s.previewUnavailable) {
        out.push(`    preview unavailable: ${s.previewUnavailable}`);
      }
    }
  });
  out.push('', `Critical path: ${plan.criticalPath.steps.join(' → ') || '(none)'}, worst case ${formatDurationHuman(plan.criticalPath.worstCaseMs)}` +
    (plan.deadline ? ` against a deadline of ${formatDurationHuman(plan.deadline.ms)}` : ''));
  if (plan.deadline && plan.criticalPath.worstCaseMs > plan.deadline.ms) {
    const warned = plan.warnings.some((w) => /deadline/i.test(w));
    if (!warned) out.push(`WARNING: the worst case (${formatDurationHuman(plan.criticalPath.worstCaseMs)}) exceeds the deadline (${formatDurationHuman(plan.deadline.ms)})`);
  }
  for (const warning of plan.warnings) out.push(`WARNING: ${warning}`);
  out.push('', 'Nothing was run: plan has no side effects.');
  return out;
}
