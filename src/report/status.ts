// Status words and symbols shared by the renderers, so a status is never told by colour alone.

import type { RunReport } from './model.js';

const SYMBOLS: Record<string, string> = {
  succeeded: '✔',
  failed: '✖',
  skipped: '⊘',
  cancelled: '■',
  running: '…',
  'not run': '○',
  interrupted: '⚠',
  pending: '○',
};

export function statusSymbol(status: string): string {
  return SYMBOLS[status] ?? '?';
}

/** The run's status, and why it counts as interrupted when the journal just stops. */
export function describeStatus(report: RunReport): string {
  if (report.interrupted) return 'interrupted (the journal has no run-end: the process was stopped or killed mid-run)';
  return report.error ? `${report.status}: ${report.error.replace(/\s*\r?\n\s*/g, ' ')}` : report.status;
}
