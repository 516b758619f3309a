// `opsbook steps [TYPE]`: the built-in step types, their parameters and outputs.

import type { Command } from 'commander';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, type CommonFlags } from '../options.js';

type StepsFlags = Pick<CommonFlags, 'output'>;

export function registerStepsCommand(program: Command): void {
  const command = program
    .command('steps')
    .description('list the built-in step types (with TYPE: its parameters and outputs in detail)')
    .argument('[type]', 'a step type');
  addCommonOptions(command, ['output'], 'tty/plain (text) or json')
    .action(async (type: string | undefined, flags: StepsFlags) => {
      process.exitCode = await stepsCommand(type, flags, getProcessIo());
    });
}

export async function stepsCommand(type: string | undefined, flags: StepsFlags, io: CliIo): Promise<number> {
  const [{ createStepRegistry }, summary, { UsageError }, { formatSuggestion }] = await Promise.all([
    import('../../steps/registry.js'),
    import('../../schema/index.js'),
    import('../../errors.js'),
    import('../../schema/index.js'),
  ]);
  const registry = createStepRegistry();
  const steps = type === undefined ? registry.list() : [registry.get(type)].filter((s) => s !== undefined);
  if (type !== undefined && steps.length === 0) {
    throw new UsageError(`unknown step type '${type}'${formatSuggestion(type, registry.list().map((s) => s.type))}`);
  }
  if (flags.output === 'json') {
    const data = steps.map((s) => ({
      type: s.type, description: s.description, mutating: s.mutating, params: summary.summarizeParams(s.schema), outputs: s.outputs, schema: s.schema,
    }));
    io.stdout.write(`${JSON.stringify(type === undefined ? data : data[0], null, 2)}\n`);
    return 0;
  }
  const outputsOf = (outputs: Record<string, { type: string }>): string =>
    '*' in outputs ? 'free-form (any key)' : Object.keys(outputs).length === 0 ? '(none)' : Object.entries(outputs).map(([k, o]) => `${k}: ${o.type}`).join(', ');
  const lines: string[] = [];
  if (type === undefined) {
    if (steps.length === 0) lines.push('no step types registered');
    for (const step of steps) {
      lines.push(`${step.type}${step.mutating ? ' (mutating)' : ''}`, `  ${step.description}`);
      lines.push(`  with: ${summary.formatParamList(step.schema)}`, `  outputs: ${outputsOf(step.outputs)}`, '');
    }
    lines.push('(* = required; `opsbook steps TYPE` for details)');
  } else {
    const step = steps[0]!;
    lines.push(step.type, `  ${step.description}`, `  changes things outside opsbook: ${step.mutating ? 'yes (has a read-only plan)' : 'no'}`, '', 'parameters (with:)');
    const params = summary.summarizeParams(step.schema);
    if (params.length === 0) lines.push('  (none)');
    for (const p of params) {
      const extra = [p.required ? 'required' : 'optional', 'default' in p ? `default ${JSON.stringify(p.default)}` : ''].filter(Boolean).join(', ');
      lines.push(`  ${p.name}: ${p.type} (${extra})${p.description ? ` — ${p.description}` : ''}`);
    }
    lines.push('', 'outputs (steps.<id>.outputs.<name>)');
    if ('*' in step.outputs) lines.push(`  free-form (any key)${step.outputs['*']!.description ? ` — ${step.outputs['*']!.description}` : ''}`);
    else if (Object.keys(step.outputs).length === 0) lines.push('  (none)');
    else for (const [name, o] of Object.entries(step.outputs)) lines.push(`  ${name}: ${o.type} — ${o.description}`);
    lines.push('', `schema: schemas/steps/${step.type}.schema.json (or \`opsbook schema ${step.type}\`)`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
