// The timeline as inline SVG: a row per step, a bar per attempt, backoff/gate/wait gaps, the deadline line and slack.

import { formatDurationHuman } from '../time/duration.js';
import type { ReportStep, RunReport } from './model.js';
import { escapeHtml, statusClass, stepAnchor } from './html-escape.js';
import { statusSymbol } from './status.js';

const LABEL_W = 260;
const PLOT_W = 700;
const ROW_H = 24;
const TOP = 28;

/** The deadline is drawn in scale when it is near the run's end; one far beyond would squash every bar to a sliver. */
function scaleOf(report: RunReport): { maxMs: number; deadlineInScale: boolean } {
  const end = Math.max(report.durationMs, 1);
  const deadline = report.deadline?.offsetMs;
  const inScale = deadline !== undefined && deadline <= end * 2;
  return { maxMs: inScale ? Math.max(end, deadline) : end, deadlineInScale: inScale };
}

export function renderTimeline(report: RunReport): string {
  const { maxMs, deadlineInScale } = scaleOf(report);
  const x = (ms: number): number => LABEL_W + Math.max(0, Math.min(ms, maxMs)) * (PLOT_W / maxMs);
  const width = LABEL_W + PLOT_W + 20;
  const height = TOP + report.steps.length * ROW_H + 30;
  const rows = report.steps.map((step, i) => renderRow(step, TOP + i * ROW_H, x, report.durationMs));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const tx = LABEL_W + f * PLOT_W;
    return `<line class="tick" x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${height - 24}"/><text class="tick-label" x="${tx}" y="${TOP - 10}" text-anchor="middle">${escapeHtml(formatDurationHuman(f * maxMs))}</text>`;
  });
  const deadline = report.deadline ? renderDeadline(report, deadlineInScale ? x(report.deadline.offsetMs) : LABEL_W + PLOT_W, deadlineInScale, height) : '';
  return [
    `<svg class="timeline" role="img" aria-label="Timeline of ${escapeHtml(report.runbook.name)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>',
    ...ticks,
    ...rows,
    deadline,
    '</svg>',
  ].join('\n');
}

function renderRow(step: ReportStep, y: number, x: (ms: number) => number, runEndMs: number): string {
  const cls = `row ${statusClass(step.status)}${step.critical ? ' critical' : ''}`;
  const label = `${statusSymbol(step.status)} ${step.name}`;
  const parts = [`<g class="${cls}" data-step="${escapeHtml(step.id)}">`, `<a href="#${escapeHtml(stepAnchor(step.id))}">`];
  parts.push(`<text class="row-label" x="${LABEL_W - 8}" y="${y + 16}" text-anchor="end">${escapeHtml(truncate(label, 30))}${step.critical ? ' ★' : ''}<title>${escapeHtml(`${step.name} (${step.id}): ${step.status}${step.critical ? ', on the critical path' : ''}`)}</title></text>`);
  if (step.startMs !== undefined && step.endMs !== undefined) {
    parts.push(`<rect class="bar-step" x="${x(step.startMs)}" y="${y + 4}" width="${Math.max(1, x(step.endMs) - x(step.startMs))}" height="${ROW_H - 8}"/>`);
  }
  for (const gap of step.gaps) {
    parts.push(`<rect class="gap gap-${gap.kind}" x="${x(gap.startMs)}" y="${y + 7}" width="${Math.max(1, x(gap.endMs) - x(gap.startMs))}" height="${ROW_H - 14}"><title>${escapeHtml(`${gap.label}: ${formatDurationHuman(gap.endMs - gap.startMs)}`)}</title></rect>`);
  }
  for (const a of step.attempts) {
    const end = a.endMs ?? step.endMs ?? runEndMs;
    const outcome = a.ok === true ? 'ok' : a.ok === false ? 'failed' : 'open';
    const title = `attempt ${a.attempt}/${a.maxAttempts}: ${outcome === 'open' ? 'no end in the journal' : outcome}, ${formatDurationHuman(end - a.startMs)}${a.error ? ` — ${a.error}` : ''}`;
    parts.push(`<rect class="bar-attempt attempt-${outcome}" data-attempt="${a.attempt}" x="${x(a.startMs)}" y="${y + 4}" width="${Math.max(2, x(end) - x(a.startMs))}" height="${ROW_H - 8}"><title>${escapeHtml(title)}</title></rect>`);
    if (a.ok === false) parts.push(`<text class="mark" x="${x(end) + 2}" y="${y + 16}">✖</text>`);
  }
  if (step.attempts.length === 0 && step.status !== 'not run') {
    parts.push(`<text class="mark" x="${x(step.endMs ?? 0) + 2}" y="${y + 16}">${escapeHtml(`${statusSymbol(step.status)} ${step.reused ? 'reused' : step.status}`)}</text>`);
  }
  parts.push('</a>', '</g>');
  return parts.join('');
}

function renderDeadline(report: RunReport, lineX: number, inScale: boolean, height: number): string {
  const { slackMs, offsetMs } = report.deadline!;
  const slack = slackMs >= 0 ? `${formatDurationHuman(slackMs)} slack` : `overran by ${formatDurationHuman(-slackMs)}`;
  const text = inScale ? `deadline ${formatDurationHuman(offsetMs)} · ${slack}` : `deadline at ${formatDurationHuman(offsetMs)} (beyond this scale) · ${slack} →`;
  return `<g class="deadline${slackMs < 0 ? ' overrun' : ''}"><line class="deadline-line" x1="${lineX}" y1="${TOP - 6}" x2="${lineX}" y2="${height - 20}"/><text class="deadline-label" x="${lineX}" y="${height - 6}" text-anchor="end">${escapeHtml(text)}</text></g>`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
