// `opsbook graph FILE --format mermaid|dot`: the runbook's dependency graph as text for diagram tools.

import { Option, type Command } from 'commander';
import { escapeControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions } from '../options.js';

interface GraphFlags {
  format: 'mermaid' | 'dot';
}

export function registerGraphCommand(program: Command): void {
  const command = program
    .command('graph')
    .description('print the step dependency graph (Mermaid or Graphviz DOT)')
    .argument('<file>', 'runbook file')
    .addOption(new Option('--format <format>', 'mermaid or dot').choices(['mermaid', 'dot']).default('mermaid'));
  // The common flags are accepted (and checked) but change nothing: --format chooses the output.
  addCommonOptions(command, [])
    .action(async (file: string, flags: GraphFlags) => {
      process.exitCode = await graphCommand(file, flags, getProcessIo());
    });
}

export async function graphCommand(file: string, flags: GraphFlags, io: CliIo): Promise<number> {
  const [{ loadRunbook, renderGraph }, { createStepRegistry }] = await Promise.all([
    import('../../runbook/index.js'),
    import('../../steps/registry.js'),
  ]);
  const runbook = await loadRunbook(file, { registry: createStepRegistry() });
  io.stdout.write(escapeControl(renderGraph(runbook, flags.format), { newlines: true }));
  return 0;
}
