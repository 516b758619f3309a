// Manual gates: a y/N question on a terminal; without one, fail at once (the engine handles --approve itself).

import { createInterface } from 'node:readline';
import os from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { StepError } from '../errors.js';
import { escapeControl } from '../ui/escape.js';

export interface ConfirmRequest {
  stepId: string;
  message: string;
  signal: AbortSignal;
}

export type Confirm = (request: ConfirmRequest) => Promise<{ approved: boolean; by: string }>;

export interface ConfirmOptions {
  stdin: Readable & { isTTY?: boolean };
  stderr: Writable;
  /** Asks inside the live tree when the tty renderer is active (its output capture would hide a plain prompt). */
  ask?: (stepId: string, question: string, input: Readable) => Promise<string>;
  /** @default os.userInfo().username */
  user?: string;
}

/** The OS user, recorded as who approved a gate or holds a lock. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown user';
  }
}

/** Reads one line from `stdin` after printing `question` to `stderr`; rejects when the run is cancelled. */
function askLine(stdin: Readable, stderr: Writable, question: string, signal: AbortSignal): Promise<string> {
  const rl = createInterface({ input: stdin, output: stderr, terminal: false });
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      rl.close();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    rl.question(`${escapeControl(question, { newlines: true })} [y/N] `, (answer) => {
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(answer);
    });
  });
}

/** The confirm function handed to the engine: y/yes approves, anything else declines. */
export function createConfirm(options: ConfirmOptions): Confirm {
  return async ({ stepId, message, signal }) => {
    if (!options.stdin.isTTY) {
      throw new StepError(
        `manual gate ${stepId} needs an operator, but there is no terminal to ask on; ` +
          `re-run with --approve ${stepId} to approve it in advance`,
        { errorClass: 'permanent' },
      );
    }
    const question = `${stepId}: ${message}`;
    const abortable = <T>(p: Promise<T>) =>
      new Promise<T>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        p.then(resolve, reject);
      });
    const answer = options.ask
      ? await abortable(options.ask(stepId, question, options.stdin))
      : await askLine(options.stdin, options.stderr, question, signal);
    const approved = /^\s*y(es)?\s*$/i.test(answer);
    return { approved, by: options.user ?? currentUser() };
  };
}
