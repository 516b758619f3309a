// Exit codes and error reporting: the one place that decides how a failure looks to the shell and the operator.

import type { Writable } from 'node:stream';
import { CancelledError, RunbookError, UsageError, formatDiagnostic } from '../errors.js';
import { escapeControl } from '../ui/escape.js';

/** 0 succeeded, 1 the run failed, 2 invalid runbook or usage; interrupted: 128 + the signal (SIGHUP 129, SIGINT 130, SIGTERM 143). */
export const EXIT = { ok: 0, failed: 1, usage: 2, hangup: 129, interrupted: 130, terminated: 143 } as const;

/** The shell's convention for a process ended by `signal`: the run was interrupted by it (SIGINT when unknown). */
export function exitCodeForSignal(signal: NodeJS.Signals | undefined): number {
  return signal === 'SIGHUP' ? EXIT.hangup : signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
}

/** True for commander's own parse errors (thrown once `exitOverride()` is on). */
function isCommanderError(error: unknown): error is { code: string; exitCode: number } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' &&
    String((error as { code: string }).code).startsWith('commander.');
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof RunbookError || error instanceof UsageError) return EXIT.usage;
  if (error instanceof CancelledError) return error.reason === 'interrupted' ? EXIT.interrupted : EXIT.failed;
  if (isCommanderError(error)) {
    const quiet = ['commander.helpDisplayed', 'commander.version'];
    return quiet.includes(error.code) ? EXIT.ok : EXIT.usage;
  }
  return EXIT.failed;
}

/** Prints an error without a stack trace for expected failures (stack only with OPSBOOK_DEBUG=1). */
export function reportError(error: unknown, stderr: Writable, options: { debug?: boolean } = {}): void {
  if (isCommanderError(error)) return; // commander already printed its message
  if (error instanceof RunbookError) {
    // Diagnostics quote the user's files: their control characters are shown, not obeyed by the terminal.
    for (const d of error.diagnostics) stderr.write(`${escapeControl(formatDiagnostic(d))}\n`);
    if (error.diagnostics.length === 0) stderr.write(`opsbook: ${escapeControl(error.message, { newlines: true })}\n`);
    else stderr.write(`${error.diagnostics.length} problem${error.diagnostics.length === 1 ? '' : 's'} found; nothing was run\n`);
    return;
  }
  const expected = error instanceof UsageError || error instanceof CancelledError || (error as Error)?.name === 'StepError';
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`opsbook: ${escapeControl(message, { newlines: true })}\n`);
  if (!expected && options.debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
}
