// Warnings (risky but valid runbooks) print like diagnostics, marked as such: `file:line:col: warning: path: message`.

import type { Diagnostic } from '../errors.js';
import { escapeControl } from '../ui/escape.js';

export function formatWarning(w: Diagnostic): string {
  // Printed on a terminal and quoting the runbook: its control characters are shown, not obeyed.
  return escapeControl(`${w.file}:${w.line}:${w.col}: warning: ${w.path}: ${w.message}`);
}
