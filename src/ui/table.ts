// Renders a step's ReportTable as aligned text columns (what `kubectl get` users read at a glance).

import type { ReportTable } from '../engine/events.js';

/** Lines of an aligned table: the title, a header row in capitals, then the rows (indented under the title). */
export function formatTable(table: ReportTable, indent = ''): string[] {
  const header = table.columns.map((c) => c.toUpperCase());
  const rows = [header, ...table.rows.map((r) => table.columns.map((_, i) => String(r[i] ?? '')))];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const body = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  if (table.rows.length === 0) body.push('(none)');
  return [`${indent}${table.title}`, ...body.map((l) => `${indent}  ${l}`)];
}
