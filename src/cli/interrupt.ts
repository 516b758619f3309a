// Ctrl-C policy: the first SIGINT/SIGTERM/SIGHUP cancels the run gracefully, the second stops the process at once.
// SIGHUP (a dropped SSH session) is an interrupt like the others: steps are stopped, the journal says `interrupted`.

import { CancelledError } from '../errors.js';
import { exitCodeForSignal } from './exit.js';

export interface InterruptHandler {
  /** The first signal received, if any (its exit code is 128 + its number). */
  received(): NodeJS.Signals | undefined;
  remove(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Wires SIGINT/SIGTERM/SIGHUP to `controller`; `notify` shows the operator what happens. */
export function installInterruptHandler(controller: AbortController, notify: (text: string) => void): InterruptHandler {
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first === undefined) {
      first = signal;
      const by = signal === 'SIGINT' ? 'user (Ctrl-C)' : signal === 'SIGHUP' ? 'SIGHUP (terminal closed)' : signal;
      // After a hangup the terminal is gone: the notice may fail to print, the cancel must still happen.
      controller.abort(new CancelledError(`interrupted by ${by}`, 'interrupted'));
      try {
        notify(`${signal === 'SIGINT' ? 'interrupted' : signal}: cancelling running steps (press Ctrl-C again to stop at once)`);
      } catch {
        // the terminal is gone
      }
      return;
    }
    // A second SIGHUP is the same hangup echoed (e.g. by the shell), not the operator insisting.
    if (signal === 'SIGHUP') return;
    // Second signal: the operator wants out now; the journal already holds everything flushed so far.
    process.exit(exitCodeForSignal(first));
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    received: () => first,
    remove: () => {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
