// One place that turns a timeout, a cancellation or a missing program into the right StepError.

import { StepError } from '../errors.js';
import type { Exec, ExecResult } from '../proc/types.js';
import type { RunOptions } from './types.js';

/** Runs a program through `exec`, honouring `signal` and `timeoutMs`. */
export async function runProcess(
  exec: Exec,
  file: string,
  args: readonly string[],
  options: RunOptions,
  label: string,
): Promise<ExecResult> {
  const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
  const signals = [options.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  let result: ExecResult;
  try {
    result = await exec(file, args, { input: options.input, signal, killGraceMs: 2000 });
  } catch (error) {
    throw interpret(error, options, timeout, label, file);
  }
  if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
  if (timeout?.aborted) {
    throw new StepError(`${label}: \`${file}\` timed out after ${options.timeoutMs} ms`, { errorClass: 'timeout' });
  }
  return result;
}

function interpret(error: unknown, options: RunOptions, timeout: AbortSignal | undefined, label: string, file: string): unknown {
  if (options.signal?.aborted) return options.signal.reason ?? error;
  if (timeout?.aborted) {
    return new StepError(`${label}: \`${file}\` timed out after ${options.timeoutMs} ms`, { errorClass: 'timeout', cause: error });
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') {
    return new StepError(`${label}: program \`${file}\` not found`, { errorClass: 'permanent', cause: error });
  }
  if (error instanceof StepError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StepError(`${label}: running \`${file}\` failed: ${message}`, { errorClass: 'permanent', cause: error });
}
