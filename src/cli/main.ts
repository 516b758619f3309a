#!/usr/bin/env node
// Entry point: parse argv, run the command, turn the outcome into an exit code. The only place that reads argv.

import module from 'node:module';
import { exitCodeFor, reportError } from './exit.js';
import { createProgram } from './program.js';

// A closed pipe (`opsbook run … | head`) or a hung-up terminal (EIO after SIGHUP) must not crash a run midway, before
// its journal is closed: keep running, drop the output.
function ignoreClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'EIO' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    });
  }
}

async function main(argv: string[]): Promise<void> {
  // Node ≥ 22.1 caches compiled code between runs (cold start); absent on Node 20, where this is a no-op.
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  // The shipped CLI is a bundle: with OPSBOOK_DEBUG, stack traces point at src/ through its source maps.
  if (process.env.OPSBOOK_DEBUG) process.setSourceMapsEnabled(true);
  ignoreClosedPipes();
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    reportError(error, process.stderr, { debug: Boolean(process.env.OPSBOOK_DEBUG) });
    process.exitCode = exitCodeFor(error);
  }
}

await main(process.argv);
