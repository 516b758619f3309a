// `opsbook validate FILE…`: every problem of every file, `file:line:col: path: message`; exit 2 when any (warnings do not count).

import type { Command } from 'commander';
import { escapeControl, escapeJsonControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, type CommonFlags } from '../options.js';
import { formatWarning } from '../warnings.js';
import type { Diagnostic } from '../../errors.js';

type ValidateFlags = Pick<CommonFlags, 'output'>;

export function registerValidateCommand(program: Command): void {
  const command = program
    .command('validate')
    .description('check runbooks (YAML, schema, step parameters, expressions, dependencies) without running anything')
    .argument('<files...>', 'runbook files');
  addCommonOptions(command, ['output'], 'tty/plain (lines) or json (diagnostics as a JSON array)')
    .action(async (files: string[], flags: ValidateFlags) => {
      process.exitCode = await validateCommand(files, flags, getProcessIo());
    });
}

/** Prints diagnostics to stderr (or JSON to stdout) and `ok: FILE` for clean files; returns the exit code. */
export async function validateCommand(files: string[], flags: ValidateFlags, io: CliIo): Promise<number> {
  const [{ checkRunbookFiles }, { createStepRegistry }, { formatDiagnostic }] = await Promise.all([
    import('../../runbook/index.js'),
    import('../../steps/registry.js'),
    import('../../errors.js'),
  ]);
  const registry = createStepRegistry();
  const warnings: Diagnostic[] = [];
  const diagnostics = await checkRunbookFiles(files, { registry, onWarning: (w) => warnings.push(w) });
  if (flags.output === 'json') {
    io.stdout.write(`${escapeJsonControl(JSON.stringify({ valid: diagnostics.length === 0, diagnostics, warnings }, null, 2))}\n`);
    return diagnostics.length === 0 ? 0 : 2;
  }
  const bad = new Set(diagnostics.map((d) => d.file));
  // File names and messages quote user text: shown with visible escapes, never obeyed by the terminal.
  for (const d of diagnostics) io.stderr.write(`${escapeControl(formatDiagnostic(d))}\n`);
  for (const w of warnings) io.stderr.write(`${formatWarning(w)}\n`);
  for (const file of files) if (!bad.has(file)) io.stdout.write(`ok: ${escapeControl(file)}\n`);
  if (diagnostics.length > 0) {
    const n = diagnostics.length;
    io.stderr.write(`${n} problem${n === 1 ? '' : 's'} in ${bad.size} of ${files.length} file${files.length === 1 ? '' : 's'}\n`);
    return 2;
  }
  return 0;
}
