// Warnings (risky but valid runbooks) print like diagnostics, marked as such: `file:line:col: warning: path: message`.

import type { Diagnostic } from '../errors.js';

export function formatWarning(w: Diagnostic): string {
  return `${w.file}:${w.line}:${w.col}: warning: ${w.path}: ${w.message}`;
}
