// Event → text, as a map keyed by event type (one formatter per kind), shared by the plain and test renderers.

import type { EngineEvent, EngineEventType, RunSelection } from '../engine/events.js';
import { formatDurationHuman } from '../time/duration.js';
import { formatTable } from './table.js';

export interface FormatOptions {
  /** Include durations (off in the deterministic test renderer). @default true */
  durations?: boolean;
}

type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;
type Formatter<T extends EngineEventType> = (event: EventOf<T>, options: Required<FormatOptions>) => string[];

/** Folds a multi-line message (e.g. a command's stderr) into one line: plain output is one line per record. */
export const oneLine = (text: string) => text.trim().replace(/(:?)\s*\n\s*/g, (_m, colon: string) => (colon ? ': ' : '; '));

const took = (ms: number | undefined, o: Required<FormatOptions>) =>
  o.durations && ms !== undefined ? ` in ${formatDurationHuman(ms)}` : '';

const formatters: { [T in EngineEventType]: Formatter<T> } = {
  'run-start': (e) => [
    `run ${e.runId} ${e.resumedFrom ? `resumes ${e.resumedFrom}` : 'started'}: ${e.runbook.name} (${e.runbook.path}), ` +
      `${e.steps.length} step${e.steps.length === 1 ? '' : 's'}${e.deadline ? `, deadline ${e.deadline}` : ''}`,
    ...(e.selection ? [`selection: ${describeSelection(e.selection)}`] : []),
    ...(e.rerun ?? []).map((r) => `${r.stepId}: runs again: ${r.reason}`),
  ],
  'step-start': (e) => [`${e.stepId}: started`],
  'attempt-start': (e, o) => [
    `${e.stepId}: attempt ${e.attempt}/${e.maxAttempts}${o.durations ? ` (timeout ${formatDurationHuman(e.timeoutMs)})` : ''}`,
  ],
  'attempt-end': (e, o) =>
    e.ok
      ? [`${e.stepId}: attempt ${e.attempt} succeeded`]
      : [
          `${e.stepId}: attempt ${e.attempt} failed (${e.errorClass ?? 'error'}): ${oneLine(e.error ?? 'unknown error')}` +
            (e.retryInMs !== undefined ? `; retrying${o.durations ? ` in ${formatDurationHuman(e.retryInMs)}` : ''}` : ''),
        ],
  'step-progress': (e) => [`${e.stepId}: ${e.detail}`],
  'step-log': (e) => [`${e.stepId} ${e.stream === 'stderr' ? '!' : '|'} ${e.line}`],
  'step-report': (e) => formatTable(e.table).map((l) => `${e.stepId}: ${l}`),
  'step-approval': (e) => [`${e.stepId}: ${e.approved ? 'approved' : 'declined'} by ${e.by}`],
  'step-process': () => [], // journaled for crash recovery; the operator sees the step's own output
  'step-end': (e, o) => {
    const why = e.reason ? `: ${oneLine(e.reason)}` : '';
    if (e.reused && e.reusedFrom !== undefined) {
      const what = e.status === 'skipped' ? 'skipped' : `${e.status}, outputs reused`;
      return [`${e.stepId}: reused from run ${e.reusedFrom} (${what})${why}`];
    }
    if (e.reused) return [e.status === 'skipped' ? `${e.stepId}: skipped earlier${why}` : `${e.stepId}: ${e.status} earlier (outputs reused)`];
    const cls = e.status === 'failed' && e.errorClass ? ` (${e.errorClass})` : '';
    return [`${e.stepId}: ${e.status}${took(e.durationMs, o)}${cls}${why}`];
  },
  'run-end': (e, o) => [`run ${e.runId} ${e.status}${took(e.durationMs, o)}${e.error ? `: ${oneLine(e.error)}` : ''}`],
};

/** `--only a,b, reusing run X` / `--from a`: what a partial run was asked for. */
function describeSelection(selection: RunSelection): string {
  const parts = [
    selection.from?.length ? `--from ${selection.from.join(',')}` : '',
    selection.only?.length ? `--only ${selection.only.join(',')}` : '',
    selection.skip?.length ? `--skip ${selection.skip.join(',')}` : '',
    selection.fromRun !== undefined ? `reusing run ${selection.fromRun}` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

/** Text lines for one engine event (no timestamp; renderers add their own prefix). */
export function formatEvent(event: EngineEvent, options: FormatOptions = {}): string[] {
  const formatter = formatters[event.type] as Formatter<EngineEventType>;
  return formatter(event as never, { durations: options.durations ?? true });
}
