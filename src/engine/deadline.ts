// spec.deadline, resolved once at run start (it may be `${{ inputs.window }}`), and the timer that enforces it.

import { CancelledError, RunbookError } from '../errors.js';
import { type ExprContext, resolveTemplates } from '../expr/template.js';
import { formatDurationExact, parseDuration } from '../time/duration.js';
import type { Runbook } from '../runbook/types.js';
import type { Clock } from '../time/clock.js';
import type { RunDeadline } from './state.js';

/** The run's deadline in ms, or undefined; a value that is not a duration is a RunbookError (exit 2, nothing ran). */
export function resolveDeadlineMs(runbook: Runbook, context: ExprContext): number | undefined {
  const source = runbook.deadline;
  if (source === undefined) return undefined;
  let value: unknown;
  try {
    value = resolveTemplates(source, context);
  } catch (error) {
    throw new RunbookError(`spec.deadline: ${(error as Error).message}`, [], { cause: error });
  }
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? parseDuration(value.trim()) : undefined;
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw new RunbookError(`spec.deadline: ${source} gave ${JSON.stringify(value)}, expected a duration such as 1h or 90m`);
  }
  return ms;
}

/** Human name of the deadline for messages: `spec.deadline 1h` or `spec.deadline ${{ inputs.window }} (= 1h)`. */
export function describeDeadline(deadline: Pick<RunDeadline, 'source' | 'ms'>): string {
  const value = formatDurationExact(deadline.ms);
  return deadline.source === value ? `spec.deadline ${value}` : `spec.deadline ${deadline.source} (= ${value})`;
}

/** Aborts `controller` with a 'deadline' CancelledError when the deadline passes; stops when `until` aborts. */
export function armDeadline(deadline: RunDeadline, clock: Clock, controller: AbortController, until: AbortSignal): void {
  clock.sleep(Math.max(0, deadline.at - clock.now()), until).then(
    () => {
      const at = new Date(deadline.at).toISOString();
      controller.abort(new CancelledError(`run deadline passed: ${describeDeadline(deadline)} ran out at ${at}`, 'deadline'));
    },
    () => {},
  );
}
