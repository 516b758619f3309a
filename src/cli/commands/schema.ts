// `opsbook schema`: the runbook JSON Schema, for editors (yaml-language-server) and CI.

import type { Command } from 'commander';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions } from '../options.js';

export function registerSchemaCommand(program: Command): void {
  const command = program
    .command('schema')
    .description('print the runbook JSON Schema (2020-12); with TYPE, the parameter schema of that step type')
    .argument('[type]', 'a step type');
  // The common flags are accepted (and checked) but change nothing: the schema is always JSON.
  addCommonOptions(command, [])
    .action(async (type: string | undefined) => {
      process.exitCode = await schemaCommand(type, getProcessIo());
    });
}

export async function schemaCommand(type: string | undefined, io: CliIo): Promise<number> {
  const { getRunbookSchema } = await import('../../runbook/schema.js');
  if (type === undefined) {
    io.stdout.write(`${JSON.stringify(getRunbookSchema(), null, 2)}\n`);
    return 0;
  }
  const [{ createStepRegistry }, { buildStepSchemaDocument }, { UsageError }, { formatSuggestion }] = await Promise.all([
    import('../../steps/registry.js'),
    import('../../runbook/step-schemas.js'),
    import('../../errors.js'),
    import('../../schema/index.js'),
  ]);
  const registry = createStepRegistry();
  const step = registry.get(type);
  if (!step) throw new UsageError(`unknown step type '${type}'${formatSuggestion(type, registry.list().map((s) => s.type))}`);
  io.stdout.write(`${JSON.stringify(buildStepSchemaDocument(step), null, 2)}\n`);
  return 0;
}
