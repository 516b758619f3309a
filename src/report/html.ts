// The HTML report: one self-contained page (inline CSS, SVG and a few lines of script; a CSP forbids any request).

import { formatDurationHuman } from '../time/duration.js';
import type { ReportTable } from '../engine/events.js';
import type { FleetReport, Report, ReportStep, RunReport } from './model.js';
import { renderDag } from './html-dag.js';
import { escapeHtml, statusClass, stepAnchor } from './html-escape.js';
import { REPORT_CSS, REPORT_SCRIPT } from './html-assets.js';
import { renderTimeline } from './html-timeline.js';
import { describeStatus, statusSymbol } from './status.js';

/** Output lines shown per step; more would make a report of a large run unwieldy to open or attach. */
const MAX_LOG_LINES = 1000;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export function renderHtml(report: Report): string {
  const title = report.kind === 'run' ? `${report.runbook.name} · run ${report.runId}` : `${report.runbook.name} · fleet ${report.fleet} · ${report.fleetId}`;
  const body = report.kind === 'run' ? renderRunBody(report) : renderFleetBody(report);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    body,
    `<script>${REPORT_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function renderRunBody(report: RunReport): string {
  return [
    `<header><h1><span class="sym ${statusClass(report.status)}">${statusSymbol(report.status)}</span> ${escapeHtml(report.runbook.name)} <small>run ${escapeHtml(report.runId)}</small></h1>`,
    renderSummary(report),
    '<nav><a href="#timeline">Timeline</a> <a href="#dag">Graph</a> <a href="#steps">Steps</a> <a href="#inputs">Inputs</a> <a href="#approvals">Approvals</a></nav></header>',
    '<main>',
    `<section id="timeline"><h2>Timeline</h2>${renderLegend()}<div class="scroll">${renderTimeline(report)}</div></section>`,
    `<section id="dag"><h2>Graph</h2><div class="scroll">${renderDag(report)}</div></section>`,
    `<section id="steps"><h2>Steps</h2>${report.steps.map(renderStep).join('\n')}</section>`,
    `<section id="inputs"><h2>Inputs</h2>${renderHosts(report.hosts)}${renderKeyValues(report.inputs, 'no inputs')}</section>`,
    `<section id="approvals"><h2>Approvals</h2>${renderApprovals(report)}</section>`,
    '</main>',
  ].join('\n');
}

function renderSummary(report: RunReport): string {
  const rows: [string, string][] = [
    ['Status', `<span class="${statusClass(report.status)}">${statusSymbol(report.status)} ${escapeHtml(describeStatus(report))}</span>`],
    ['Started', escapeHtml(report.startedAt)],
    ['Duration', escapeHtml(formatDurationHuman(report.durationMs))],
  ];
  if (report.deadline) {
    const { at, offsetMs, slackMs } = report.deadline;
    const slack = slackMs >= 0 ? `${formatDurationHuman(slackMs)} left` : `overran by ${formatDurationHuman(-slackMs)}`;
    rows.push(['Deadline', escapeHtml(`${formatDurationHuman(offsetMs)} (${at}) — ${slack}`)]);
  }
  if (report.criticalPath.length > 0) rows.push(['Critical path', escapeHtml(report.criticalPath.join(' → '))]);
  rows.push(['Runbook', escapeHtml(report.runbook.path)], ['Runbook sha256', `<code>${escapeHtml(report.runbook.sha256)}</code>`]);
  if (report.resumes > 0) rows.push(['Resumed', `${report.resumes} time${report.resumes === 1 ? '' : 's'}`]);
  if (report.tornTail) rows.push(['Journal', 'its last record was torn (cut mid-write) and is left out']);
  return `<dl class="summary">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function renderLegend(): string {
  const items = [
    ['attempt-ok', 'attempt succeeded'], ['attempt-failed', 'attempt failed ✖'], ['attempt-open', 'attempt cut short'],
    ['gap-backoff', 'backoff'], ['gap-gate', 'gate (waiting for approval)'], ['gap-wait', 'waiting to start'],
  ];
  return `<p class="legend">${items.map(([cls, text]) => `<span><i class="${cls}"></i>${text}</span>`).join(' ')} <span>★ critical path</span> <span class="deadline-key">┆ deadline</span></p>`;
}

function renderStep(step: ReportStep): string {
  const parts = [
    `<article class="step ${statusClass(step.status)}${step.critical ? ' critical' : ''}" id="${escapeHtml(stepAnchor(step.id))}">`,
    `<h3><span class="sym">${statusSymbol(step.status)}</span> ${escapeHtml(step.name)} <small>${escapeHtml(step.id)} · ${escapeHtml(step.type)}</small></h3>`,
  ];
  const facts: [string, string][] = [['Status', step.status], ['Wave', String(step.wave + 1)]];
  if (step.durationMs !== undefined) facts.push(['Duration', formatDurationHuman(step.durationMs)]);
  if (step.needs.length > 0) facts.push(['Needs', step.needs.join(', ')]);
  if (step.reason) facts.push(['Reason', step.reason]);
  if (step.reused) facts.push(['Reused', step.reusedFrom ? `from run ${step.reusedFrom}` : 'from an earlier attempt of this run']);
  if (step.critical) facts.push(['Critical path', 'yes']);
  parts.push(`<dl>${facts.map(([k, v]) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`);
  if (step.attempts.length > 0) {
    parts.push(renderTable({
      title: 'Attempts',
      columns: ['#', 'started', 'took', 'outcome', 'class', 'error', 'next in'],
      rows: step.attempts.map((a) => [
        `${a.attempt}/${a.maxAttempts}`, `+${formatDurationHuman(a.startMs)}`, a.endMs === undefined ? '(no end)' : formatDurationHuman(a.endMs - a.startMs),
        a.ok === true ? '✔ ok' : a.ok === false ? '✖ failed' : '… cut short', a.errorClass ?? '', a.error ?? '', a.retryInMs === undefined ? '' : formatDurationHuman(a.retryInMs),
      ]),
    }, 'attempts'));
  }
  for (const gap of step.gaps.filter((g) => g.kind === 'gate')) parts.push(`<p class="gate">${escapeHtml(`${gap.label} after ${formatDurationHuman(gap.endMs - gap.startMs)}`)}</p>`);
  if (step.csr) {
    parts.push(renderTable({ title: `Approved CSRs (${step.csr.approved.length})`, columns: ['CSR', 'node'], rows: step.csr.approved.map((c) => [c.csr, c.node]) }, 'csr-approved'));
    parts.push(renderTable({ title: `Refused CSRs (${step.csr.refused.length})`, columns: ['CSR', 'node', 'requestor', 'reason'], rows: step.csr.refused.map((c) => [c.csr, c.node, c.requestor ?? '', c.reason ?? '']) }, 'csr-refused'));
  }
  if (step.certs) {
    parts.push(renderTable({ title: 'Certificates renewed', columns: ['node', 'certificate', 'expired', 'expires', 'CA'], rows: step.certs.map((c) => [c.node, c.certificate, c.before, c.after, c.ca ?? '']) }, 'certs'));
  }
  // A CSR step's own refusal table is already shown above from its outputs; other tables are shown as journaled.
  for (const table of step.tables.filter((t) => !(step.csr && t.title.startsWith('Refused ')))) parts.push(renderTable(table, 'reported'));
  if (step.outputs && Object.keys(step.outputs).length > 0) {
    parts.push(`<h4>Outputs${step.outputsRedacted ? ' <small>(secrets masked)</small>' : ''}</h4><pre class="outputs">${escapeHtml(JSON.stringify(step.outputs, null, 2))}</pre>`);
  }
  if (step.details.length > 0) parts.push(`<h4>Details</h4><ul class="details">${step.details.map((d) => `<li>${escapeHtml(d)}</li>`).join('')}</ul>`);
  if (step.logs.length > 0) {
    // A step over thousands of machines can print thousands of lines: the page keeps the last ones, the journal all.
    const shown = step.logs.slice(-MAX_LOG_LINES);
    const cut = step.logs.length - shown.length;
    const note = cut > 0 ? `<p class="empty">${cut} earlier line${cut === 1 ? '' : 's'} not shown: the journal has them</p>` : '';
    parts.push(`<details class="logs"><summary>Output lines (${step.logs.length})</summary>${note}<pre>${shown.map((l) => `<span class="${l.stream}">${escapeHtml(l.line)}</span>`).join('\n')}</pre></details>`);
  }
  parts.push('</article>');
  return parts.join('\n');
}

function renderTable(table: ReportTable, cls: string): string {
  const head = `<tr>${table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const rows = table.rows.length === 0
    ? `<tr><td colspan="${table.columns.length}" class="empty">none</td></tr>`
    : table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('');
  return `<div class="scroll"><table class="${cls}"><caption>${escapeHtml(table.title)}</caption><thead>${head}</thead><tbody>${rows}</tbody></table></div>`;
}

/** The machines the run ran on (a resume may run elsewhere); nothing for a journal from before hosts were recorded. */
function renderHosts(hosts: readonly string[]): string {
  return hosts.length === 0 ? '' : `<p class="hosts">Ran on ${hosts.map((host) => `<code>${escapeHtml(host)}</code>`).join(', then ')}</p>`;
}

function renderKeyValues(values: Record<string, unknown>, empty: string): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return `<p class="empty">${empty}</p>`;
  return renderTable({ title: 'Values (secrets masked)', columns: ['name', 'value'], rows: entries.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]) }, 'inputs');
}

function renderApprovals(report: RunReport): string {
  if (report.approvals.length === 0) return '<p class="empty">no manual gate was answered</p>';
  return renderTable({ title: 'Manual gates', columns: ['step', 'answer', 'by', 'when'], rows: report.approvals.map((a) => [a.stepId, a.approved ? '✔ approved' : '✖ declined', a.by, a.time]) }, 'approvals');
}

function renderFleetBody(report: FleetReport): string {
  const waves = [...new Set(report.clusters.map((c) => c.wave))].sort((a, b) => a - b);
  const head = `<tr><th>wave</th><th>cluster</th><th>status</th>${report.stepIds.map((id) => `<th>${escapeHtml(id)}</th>`).join('')}</tr>`;
  const rows = waves.flatMap((wave) =>
    report.clusters.filter((c) => c.wave === wave).map((c) => {
      const cells = report.stepIds.map((id) => {
        const step = c.run?.steps.find((s) => s.id === id);
        return step ? `<td class="cell ${statusClass(step.status)}" title="${escapeHtml(`${c.name} · ${id}: ${step.status}`)}">${statusSymbol(step.status)} ${escapeHtml(step.status)}</td>` : '<td class="cell">–</td>';
      });
      return `<tr class="wave-${wave}"><td>${wave}</td><td><a href="#cluster-${escapeHtml(encodeURIComponent(c.name))}">${escapeHtml(c.name)}</a></td><td class="cell ${statusClass(c.status)}">${statusSymbol(c.status)} ${c.status}</td>${cells.join('')}</tr>`;
    }),
  );
  const clusters = report.clusters.map((c) => [
    `<article class="cluster ${statusClass(c.status)}" id="cluster-${escapeHtml(encodeURIComponent(c.name))}">`,
    `<h3><span class="sym">${statusSymbol(c.status)}</span> ${escapeHtml(c.name)} <small>wave ${c.wave}${c.runId ? ` · run ${escapeHtml(c.runId)}` : ''}</small></h3>`,
    c.error ? `<p class="error">${escapeHtml(`${c.failedStep ? `${c.failedStep}: ` : ''}${c.error}`)}</p>` : '',
    c.run ? `<div class="scroll">${renderTimeline(c.run)}</div>` : '<p class="empty">no run of its own yet</p>',
    '</article>',
  ].join('\n'));
  return [
    `<header><h1><span class="sym ${statusClass(report.status)}">${statusSymbol(report.status)}</span> ${escapeHtml(report.runbook.name)} <small>fleet ${escapeHtml(report.fleet)} · ${escapeHtml(report.fleetId)}</small></h1>`,
    `<dl class="summary"><dt>Status</dt><dd>${escapeHtml(report.status)}${report.interrupted ? ' (no live process holds it: interrupted)' : ''}</dd>${report.reason ? `<dt>Reason</dt><dd>${escapeHtml(report.reason)}</dd>` : ''}<dt>Started</dt><dd>${escapeHtml(report.startedAt)}</dd><dt>Updated</dt><dd>${escapeHtml(report.updatedAt)}</dd><dt>Runbook</dt><dd>${escapeHtml(report.runbook.path)}</dd></dl></header>`,
    '<main>',
    `<section id="matrix"><h2>Clusters × steps</h2><div class="scroll"><table class="matrix"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div></section>`,
    `<section id="clusters"><h2>Clusters</h2>${clusters.join('\n')}</section>`,
    '</main>',
  ].join('\n');
}
