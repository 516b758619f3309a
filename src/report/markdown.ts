// The Markdown report: a short summary for tickets and PR comments (status, time vs deadline, steps, failures, a gantt).

import { formatDurationHuman } from '../time/duration.js';
import type { FleetReport, Report, ReportStep, RunReport } from './model.js';
import { describeStatus, statusSymbol } from './status.js';

/** A table cell: `|` would end the cell and a newline the row; backslashes and HTML are neutralised so nothing renders as markup. */
export function escapeCell(text: string): string {
  return escapeInline(text).replace(/\|/g, '\\|').replace(/\r?\n|\r/g, '<br>');
}

/** Text outside a table: HTML and Markdown punctuation that would change the rendering are escaped. */
function escapeInline(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([`*_[\]])/g, '\\$1');
}

const oneLine = (text: string): string => escapeInline(text).replace(/\s*\r?\n\s*/g, ' ');

export function renderMarkdown(report: Report): string {
  return `${(report.kind === 'run' ? renderRun(report) : renderFleet(report)).join('\n')}\n`;
}

function renderRun(report: RunReport): string[] {
  const lines = [`# ${statusSymbol(report.status)} ${oneLine(report.runbook.name)} · run ${oneLine(report.runId)}`, ''];
  lines.push(`**Status:** ${oneLine(describeStatus(report))}  `);
  lines.push(`**Duration:** ${formatDurationHuman(report.durationMs)}${report.deadline ? ` of a ${formatDurationHuman(report.deadline.offsetMs)} deadline (${describeSlack(report.deadline.slackMs)})` : ' (no deadline)'}  `);
  lines.push(`**Runbook:** \`${report.runbook.path.replace(/`/g, "'")}\` (sha256 ${report.runbook.sha256.slice(0, 12)})  `);
  if (report.hosts.length > 0) lines.push(`**Host:** ${report.hosts.map((host) => `\`${host.replace(/`/g, "'")}\``).join(', then ')}  `);
  // A resumed run is one run: its duration counts from the first start, through every resume.
  if (report.resumes > 0) lines.push(`**Resumed:** ${report.resumes} time${report.resumes === 1 ? '' : 's'} (started ${report.startedAt})  `);
  if (report.criticalPath.length > 0) lines.push(`**Critical path:** ${report.criticalPath.map(oneLine).join(' → ')}  `);
  lines.push('', '| | Step | Type | Status | Attempts | Duration |', '|---|---|---|---|---|---|');
  for (const step of report.steps) {
    lines.push(`| ${statusSymbol(step.status)} | ${escapeCell(step.name)} (\`${step.id}\`) | ${escapeCell(step.type)} | ${escapeCell(describeStepStatus(step))} | ${step.attempts.length} | ${step.durationMs === undefined ? '–' : formatDurationHuman(step.durationMs)} |`);
  }
  const failures = report.steps.filter((s) => s.status === 'failed' || s.attempts.some((a) => a.ok === false));
  if (failures.length > 0 || report.error) {
    lines.push('', '## Failures', '');
    if (report.error) lines.push(`- run: ${oneLine(report.error)}`);
    for (const step of failures) {
      for (const a of step.attempts.filter((x) => x.ok === false)) {
        lines.push(`- ${oneLine(step.id)} attempt ${a.attempt}/${a.maxAttempts}${a.errorClass ? ` (${a.errorClass})` : ''}: ${oneLine(a.error ?? 'failed')}`);
      }
      if (step.status === 'failed' && step.reason) lines.push(`- ${oneLine(step.id)}: ${oneLine(step.reason)}`);
    }
  }
  lines.push('', '```mermaid', ...renderGantt(report), '```');
  return lines;
}

function describeSlack(slackMs: number): string {
  return slackMs >= 0 ? `${formatDurationHuman(slackMs)} to spare` : `overran by ${formatDurationHuman(-slackMs)}`;
}

function describeStepStatus(step: ReportStep): string {
  if (step.reused) return `${step.status} (reused${step.reusedFrom ? ` from ${step.reusedFrom}` : ''})`;
  return step.reason && step.status === 'skipped' ? `skipped: ${step.reason}` : step.status;
}

/** Mermaid task names end at `:` and statements at `;` or `#`: those are replaced, as are newlines. */
const ganttName = (text: string): string => text.replace(/[:;#\r\n]+/g, ' ').trim() || '-';

/** One section per step, one task per attempt (and per backoff/gate gap); absolute times with `dateFormat x` (epoch ms). */
function renderGantt(report: RunReport): string[] {
  const base = Date.parse(report.startedAt);
  const t = (ms: number): number => Math.round(base + ms);
  const lines = ['gantt', `  title ${ganttName(`${report.runbook.name} ${report.runId}`)}`, '  dateFormat x', '  axisFormat %H:%M:%S'];
  let n = 0;
  for (const step of report.steps) {
    if (step.attempts.length === 0 && step.status !== 'skipped') continue;
    lines.push(`  section ${ganttName(step.id)}`);
    if (step.attempts.length === 0) {
      lines.push(`  skipped :done, t${n++}, ${t(step.startMs ?? 0)}, ${t(step.endMs ?? 0)}`);
      continue;
    }
    // Waits under a second (a step handed to its first attempt) would only clutter the chart.
    const gaps = step.gaps.filter((g) => g.kind !== 'wait' || g.endMs - g.startMs >= 1000)
      .map((g) => ({ startMs: g.startMs, endMs: g.endMs, name: g.label, tag: g.kind === 'gate' ? 'active' : 'done' }));
    const attempts = step.attempts.map((a) => ({
      startMs: a.startMs, endMs: a.endMs ?? step.endMs ?? a.startMs, name: `attempt ${a.attempt}${a.ok === false ? ' failed' : ''}`,
      tag: a.ok === false || (step.status === 'failed' && a.ok === undefined) ? 'crit' : step.critical ? 'active' : 'done',
    }));
    for (const task of [...attempts, ...gaps].sort((x, y) => x.startMs - y.startMs)) lines.push(`  ${ganttName(task.name)} :${task.tag}, t${n++}, ${t(task.startMs)}, ${t(task.endMs)}`);
  }
  if (report.deadline) lines.push('  section deadline', `  deadline :milestone, t${n++}, ${t(report.deadline.offsetMs)}, ${t(report.deadline.offsetMs)}`);
  return lines;
}

function renderFleet(report: FleetReport): string[] {
  const lines = [`# ${statusSymbol(report.status)} ${oneLine(report.runbook.name)} · fleet ${oneLine(report.fleet)} · ${oneLine(report.fleetId)}`, ''];
  lines.push(`**Status:** ${report.status}${report.interrupted ? ' (no live process holds it: interrupted)' : ''}${report.reason ? ` — ${oneLine(report.reason)}` : ''}  `);
  lines.push(`**Clusters:** ${report.clusters.length} in ${new Set(report.clusters.map((c) => c.wave)).size} wave(s)  `);
  lines.push('', `| Wave | Cluster | Status | ${report.stepIds.map(escapeCell).join(' | ')} |`, `|---|---|---|${report.stepIds.map(() => '---|').join('')}`);
  for (const c of report.clusters) {
    const cells = report.stepIds.map((id) => {
      const step = c.run?.steps.find((s) => s.id === id);
      return step ? `${statusSymbol(step.status)} ${step.status}` : '–';
    });
    lines.push(`| ${c.wave} | ${escapeCell(c.name)} | ${statusSymbol(c.status)} ${c.status} | ${cells.join(' | ')} |`);
  }
  const failed = report.clusters.filter((c) => c.error !== undefined);
  if (failed.length > 0) {
    lines.push('', '## Failures', '');
    for (const c of failed) lines.push(`- ${oneLine(c.name)}${c.failedStep ? ` (${oneLine(c.failedStep)})` : ''}: ${oneLine(c.error!)}`);
  }
  return lines;
}
