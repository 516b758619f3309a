// Folds a journal's events into what resume and `opsbook runs` need: the run's state and each step's last ending.

import type { EngineEvent, RunStatus } from '../events.js';

export type StepEndEvent = Extract<EngineEvent, { type: 'step-end' }>;
export type RunStartEvent = Extract<EngineEvent, { type: 'run-start' }>;

export interface RunHistory {
  runId: string | undefined;
  /** The first run-start (the original run); undefined for an empty or unreadable journal. */
  firstStart: RunStartEvent | undefined;
  /** The latest run-start (the last resume, or the original run). */
  lastStart: RunStartEvent | undefined;
  /** Status of the latest attempt of the run; undefined when it has no run-end (still running, or killed). */
  status: RunStatus | undefined;
  error: string | undefined;
  /** run-starts after the first one. */
  resumes: number;
  /** Time of the last event. */
  lastTime: string | undefined;
  /** The last step-end of every step. */
  steps: Map<string, StepEndEvent>;
}

export function replayJournal(events: readonly EngineEvent[]): RunHistory {
  const history = emptyHistory();
  for (const event of events) foldEvent(history, event);
  return history;
}

export function emptyHistory(): RunHistory {
  return { runId: undefined, firstStart: undefined, lastStart: undefined, status: undefined, error: undefined, resumes: 0, lastTime: undefined, steps: new Map() };
}

/** One event into a history: a replay of a whole journal, or a run's own events as they are journaled (record.ts). */
export function foldEvent(history: RunHistory, event: EngineEvent): void {
  history.runId ??= event.runId;
  history.lastTime = event.time;
  if (event.type === 'run-start') {
    if (history.firstStart) history.resumes++;
    history.firstStart ??= event;
    history.lastStart = event;
    history.status = undefined;
    history.error = undefined;
  } else if (event.type === 'run-end') {
    history.status = event.status;
    history.error = event.error;
  } else if (event.type === 'step-end') {
    history.steps.set(event.stepId, event);
  }
}
