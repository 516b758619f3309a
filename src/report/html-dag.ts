// The run's DAG as inline SVG, laid out by waves like `opsbook plan`; each node links to its step's details.

import type { ReportStep, RunReport } from './model.js';
import { escapeHtml, statusClass, stepAnchor } from './html-escape.js';
import { statusSymbol } from './status.js';

const NODE_W = 190;
const NODE_H = 46;
const GAP_X = 24;
const GAP_Y = 40;

export function renderDag(report: RunReport): string {
  const widest = Math.max(1, ...report.waves.map((w) => w.length));
  const width = widest * (NODE_W + GAP_X) + GAP_X;
  const height = report.waves.length * (NODE_H + GAP_Y) + GAP_Y / 2;
  const position = new Map<string, { x: number; y: number }>();
  report.waves.forEach((wave, w) => {
    const offset = (width - wave.length * (NODE_W + GAP_X) + GAP_X) / 2;
    wave.forEach((id, i) => position.set(id, { x: offset + i * (NODE_W + GAP_X), y: GAP_Y / 2 + w * (NODE_H + GAP_Y) }));
  });
  const byId = new Map(report.steps.map((s) => [s.id, s]));
  const edges = report.steps.flatMap((step) =>
    step.needs.flatMap((need) => {
      const from = position.get(need);
      const to = position.get(step.id);
      if (!from || !to) return [];
      const critical = step.critical && byId.get(need)?.critical ? ' critical' : '';
      return [`<line class="edge${critical}" x1="${from.x + NODE_W / 2}" y1="${from.y + NODE_H}" x2="${to.x + NODE_W / 2}" y2="${to.y - 2}" marker-end="url(#arrow)"/>`];
    }),
  );
  const nodes = report.steps.map((step) => renderNode(step, position.get(step.id)));
  return [
    `<svg class="dag" role="img" aria-label="Step graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>',
    ...edges,
    ...nodes,
    '</svg>',
  ].join('\n');
}

function renderNode(step: ReportStep, at: { x: number; y: number } | undefined): string {
  if (!at) return '';
  const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
  const title = `${step.name} (${step.id}), ${step.type}: ${step.status}${step.critical ? ', critical path' : ''}`;
  return [
    `<a href="#${escapeHtml(stepAnchor(step.id))}" class="node ${statusClass(step.status)}${step.critical ? ' critical' : ''}" data-step="${escapeHtml(step.id)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<rect x="${at.x}" y="${at.y}" width="${NODE_W}" height="${NODE_H}" rx="6"/>`,
    `<text x="${at.x + 8}" y="${at.y + 19}" class="node-name">${escapeHtml(cut(`${statusSymbol(step.status)} ${step.name}`, 26))}</text>`,
    `<text x="${at.x + 8}" y="${at.y + 36}" class="node-type">${escapeHtml(cut(`${step.id} · ${step.type}`, 30))}</text>`,
    '</a>',
  ].join('');
}
