// Step ids given on the command line (--from, --only, --skip) must name steps of the runbook: exit 2 with a did-you-mean.

import { UsageError } from '../../errors.js';
import { formatSuggestion } from '../../schema/index.js';
import type { Runbook } from '../../runbook/types.js';

/** Throws UsageError naming the flag, the unknown id and the closest step ids. */
export function checkStepIds(runbook: Runbook, ids: readonly string[], flag: string): void {
  const known = runbook.steps.map((s) => s.id);
  const set = new Set(known);
  const unknown = ids.filter((id) => !set.has(id));
  if (unknown.length === 0) return;
  const lines = unknown.map((id) => {
    const hint = formatSuggestion(id, known) || ` (steps: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})`;
    return `${flag} ${id}: no step '${id}' in ${runbook.file}${hint}`;
  });
  throw new UsageError(lines.join('\n'));
}

/** `--only a,b --only c` → [a, b, c] (commas and repeats both work; blanks dropped). */
export function splitStepIds(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
