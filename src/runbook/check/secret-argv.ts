// A secret in a program's argv is readable by every user of the machine (`ps -ef`, /proc/<pid>/cmdline): warn.

import { compileExpression } from '../../expr/cel.js';
import { isTemplate, parseTemplate } from '../../expr/template.js';
import type { PathSegment } from '../../schema/index.js';
import { isRecord, type CheckContext } from './context.js';

/** Warns at each `${{ }}` of a shell step's `command:` (an argv, no shell) that reads a secret input. */
export function checkSecretsInArgv(ctx: CheckContext): void {
  for (const step of ctx.steps) {
    if (step.type !== 'shell' || !isRecord(step.raw.with)) continue;
    const command = step.raw.with.command;
    const base: PathSegment[] = ['spec', 'steps', step.index, 'with', 'command'];
    if (typeof command === 'string') warnAt(ctx, base, command);
    else if (Array.isArray(command)) command.forEach((arg, i) => typeof arg === 'string' && warnAt(ctx, [...base, i], arg));
  }
}

function warnAt(ctx: CheckContext, path: PathSegment[], text: string): void {
  if (!isTemplate(text)) return;
  for (const { name, start } of findSecretReads(ctx, text)) {
    ctx.warn(
      path,
      `secret input '${name}' becomes a program argument, which every user of this machine can read in the process list ` +
        `(ps -ef); pass it through env: (e.g. env: { ${name.toUpperCase()}: "\${{ inputs.${name} }}" }) to a program that reads it from there`,
      { index: start },
    );
  }
}

function findSecretReads(ctx: CheckContext, text: string): { name: string; start: number }[] {
  const found: { name: string; start: number }[] = [];
  try {
    for (const part of parseTemplate(text)) {
      if (part.kind !== 'expr') continue;
      const names = new Set(compileExpression(part.source).references.filter((r) => r.root === 'inputs' && r.name).map((r) => r.name!));
      for (const name of names) if (ctx.inputs.get(name)?.type === 'secret') found.push({ name, start: part.start });
    }
  } catch {
    // a malformed expression is reported by the expression checks
  }
  return found;
}
