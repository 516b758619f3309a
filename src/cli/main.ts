#!/usr/bin/env node
// Entry point: parse argv, run the command, turn the outcome into an exit code. The only place that reads argv.

import module from 'node:module';
import { setFlagsFromString } from 'node:v8';
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

// Else V8 lets the old generation grow to 4× the live heap between full GCs: most of a 5,000-machine run's RSS (issue 14).
function boundHeapGrowth(): void {
  // 30%: V8's own growth when memory is tight; read at every full GC, so setting it at start-up takes effect.
  setFlagsFromString('--heap-growing-percent=30');
}

async function main(argv: string[]): Promise<void> {
  boundHeapGrowth();
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
