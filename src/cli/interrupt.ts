// Ctrl-C policy: the first SIGINT/SIGTERM cancels the run gracefully, the second stops the process at once.

import type { Writable } from 'node:stream';
import { CancelledError } from '../errors.js';
import { EXIT } from './exit.js';

/** Wires SIGINT/SIGTERM to `controller`; returns a function that removes the handlers. */
export function installInterruptHandler(controller: AbortController, stderr: Writable): () => void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      stderr.write(`\n${signal === 'SIGINT' ? 'interrupted' : signal}: cancelling running steps (press Ctrl-C again to stop at once)\n`);
      controller.abort(new CancelledError(`interrupted by ${signal === 'SIGINT' ? 'user (Ctrl-C)' : signal}`, 'interrupted'));
      return;
    }
    // Second signal: the operator wants out now; the journal already holds everything flushed so far.
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
