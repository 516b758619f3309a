// `--output tty` for a fleet: a live table (cluster, wave, status, current step, elapsed) under a wave and budget
// header, redrawn in place; when the clusters no longer fit the terminal, only the running ones are listed, and then
// only counts. The summary is printed below it at the end.

import type { FleetEvent } from '../fleet/index.js';
import { formatDurationHuman } from '../time/duration.js';
import { escapeControl } from './escape.js';
import { formatFleetSummary } from './fleet-format.js';
import type { FleetRenderer, FleetRendererOptions } from './fleet-renderer.js';
import { formatTable } from './table.js';

interface Row {
  wave: number;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'interrupted';
  step?: string;
  startedAt?: number;
  endedAt?: number;
}

/** What the live table shows, updated from events. */
export interface FleetView {
  fleetId: string;
  waves: number;
  wave: number;
  maxFailures: number;
  failures: number;
  notice?: string;
  rows: Map<string, Row>;
}

export function createFleetView(): FleetView {
  return { fleetId: '', waves: 0, wave: 0, maxFailures: 0, failures: 0, rows: new Map() };
}

/** Folds one event into the view; `now` is the run clock's time in ms. */
export function updateFleetView(view: FleetView, event: FleetEvent, now: number): void {
  switch (event.type) {
    case 'fleet-start':
      view.fleetId = event.fleetId;
      view.waves = event.waves.length;
      view.maxFailures = event.maxFailures;
      event.waves.forEach((w, i) => w.clusters.forEach((c) => view.rows.set(c, { wave: Number(w.id.slice(5)) || i + 1, status: 'pending' })));
      return;
    case 'wave-start':
      view.wave = event.wave;
      view.notice = undefined;
      return;
    case 'wave-gate':
      view.notice = event.state === 'waiting' ? `${event.id} waits for approval (--approve ${event.id})` : undefined;
      return;
    case 'wave-pause':
      view.notice = `pausing ${formatDurationHuman(event.ms)} before ${event.id}`;
      return;
    case 'cluster-start': {
      const row = view.rows.get(event.cluster);
      if (row) Object.assign(row, { status: 'running', startedAt: now, step: undefined, endedAt: undefined });
      return;
    }
    case 'cluster-event': {
      const row = view.rows.get(event.cluster);
      if (row && event.event.type === 'step-start') row.step = event.event.stepId;
      return;
    }
    case 'cluster-end': {
      const row = view.rows.get(event.cluster);
      if (row) Object.assign(row, { status: event.status, endedAt: now, ...(event.failedStep ? { step: event.failedStep } : {}) });
      if (event.status === 'failed') view.failures++;
      return;
    }
    case 'budget-exceeded':
      view.notice = `failure budget exceeded: no new cluster starts`;
      return;
    default:
      return;
  }
}

function countBy(view: FleetView): Record<Row['status'], number> {
  const counts = { pending: 0, running: 0, succeeded: 0, failed: 0, interrupted: 0 };
  for (const row of view.rows.values()) counts[row.status]++;
  return counts;
}

/** The lines to draw, at most `height` of them. */
export function renderFleetView(view: FleetView, now: number, height: number): string[] {
  const counts = countBy(view);
  const header = [
    `fleet ${view.fleetId}  wave ${view.wave}/${view.waves}  failures ${view.failures}/${view.maxFailures} tolerated`,
    `${counts.running} running, ${counts.succeeded} succeeded, ${counts.failed} failed${counts.interrupted ? `, ${counts.interrupted} interrupted` : ''}, ${counts.pending} pending` +
      (view.notice ? `  · ${view.notice}` : ''),
  ];
  const elapsed = (r: Row) => (r.startedAt === undefined ? '' : formatDurationHuman((r.endedAt ?? now) - r.startedAt));
  const toCells = ([name, r]: [string, Row]) => [name, `wave-${r.wave}`, r.status, r.step ?? '', elapsed(r)];
  const all = [...view.rows.entries()];
  // Header, the table's column line, and one spare line for the cursor.
  const room = height - header.length - 2;
  let shown = all;
  let more = '';
  if (all.length > room) {
    shown = all.filter(([, r]) => r.status === 'running');
    if (shown.length > room - 1) shown = [];
    more = shown.length === 0 ? '' : `… and ${all.length - shown.length} not running (counts above)`;
  }
  if (shown.length === 0 && all.length > room) return header;
  const [, ...table] = formatTable({ title: '', columns: ['cluster', 'wave', 'status', 'step', 'elapsed'], rows: shown.map(toCells) });
  return [...header, ...table.map((l) => l.slice(2)), ...(more ? [more] : [])];
}

const ERASE_LINE = '\u001b[2K';
const up = (n: number) => (n > 0 ? `\u001b[${n}A` : '');

export function createFleetTtyRenderer(options: FleetRendererOptions): FleetRenderer {
  const { stdout, clock } = options;
  const view = createFleetView();
  let drawn = 0;
  let dirty = false;
  let summary: string[] = [];
  let held = false;
  const draw = () => {
    if (held) return;
    dirty = false;
    const height = Math.max(6, (stdout as { rows?: number }).rows ?? 40);
    const width = Math.max(40, (stdout as { columns?: number }).columns ?? 120);
    const lines = renderFleetView(view, clock.now(), height).map((l) => escapeControl(l).slice(0, width - 1));
    let text = `${up(drawn)}\r`;
    for (let i = 0; i < Math.max(lines.length, drawn); i++) text += `${ERASE_LINE}${lines[i] ?? ''}\n`;
    // Lines left over from a taller table were blanked; the cursor goes back to just under the new table.
    text += up(Math.max(0, drawn - lines.length));
    stdout.write(text);
    drawn = lines.length;
  };
  // Elapsed times move even without events; the timer never keeps the process alive.
  const timer = setInterval(() => (dirty || view.rows.size > 0) && draw(), 250);
  timer.unref();
  return {
    handle(event) {
      updateFleetView(view, event, clock.now());
      if (event.type === 'fleet-end') summary = formatFleetSummary(event);
      dirty = true;
      if (event.type !== 'cluster-event') draw();
    },
    async close() {
      clearInterval(timer);
      draw();
      for (const line of summary) stdout.write(`${escapeControl(line)}\n`);
    },
    notice(text) {
      view.notice = text;
      draw();
    },
    hold() {
      draw();
      held = true;
      return () => {
        held = false;
        // The prompt and its answer stay on screen: the table starts again below them.
        drawn = 0;
        draw();
      };
    },
  };
}
