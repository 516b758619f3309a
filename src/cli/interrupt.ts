// Ctrl-C policy: the first SIGINT/SIGTERM cancels the run gracefully, the second stops the process at once.

import { CancelledError } from '../errors.js';
import { EXIT } from './exit.js';

/** Wires SIGINT/SIGTERM to `controller`; `notify` shows the operator what happens. Returns a remover. */
export function installInterruptHandler(controller: AbortController, notify: (text: string) => void): () => void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      notify(`${signal === 'SIGINT' ? 'interrupted' : signal}: cancelling running steps (press Ctrl-C again to stop at once)`);
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
