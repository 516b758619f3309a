#!/usr/bin/env node
// Entry point: parse argv, run the command, turn the outcome into an exit code. The only place that reads argv.

import { exitCodeFor, reportError } from './exit.js';
import { createProgram } from './program.js';

async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    reportError(error, process.stderr, { debug: Boolean(process.env.OPSBOOK_DEBUG) });
    process.exitCode = exitCodeFor(error);
  }
}

await main(process.argv);
