// Journals for the report tests, written event by event on a fixed clock (what the engine would have journaled).

import type { EngineEvent } from '../../src/engine/events.js';

const RUN = '20260101-000000-000-abcdef';
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

type Step = { id: string; name: string; type: string; needs: string[] };

/** A small builder: `at(ms)` moves the clock, each call appends one event at the current time. */
export function journal(steps: Step[], options: { deadlineMs?: number; inputs?: Record<string, unknown>; host?: string } = {}) {
  const events: EngineEvent[] = [];
  let now = T0;
  const time = () => new Date(now).toISOString();
  const push = (e: Record<string, unknown>) => events.push({ time: time(), runId: RUN, ...e } as EngineEvent);
  const runStart = {
    type: 'run-start', journalVersion: 1, runbook: { path: '/rb/tour.yaml', name: 'tour', sha256: 'ab'.repeat(32) },
    inputs: options.inputs ?? {}, steps, ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.deadlineMs !== undefined ? { deadline: new Date(T0 + options.deadlineMs).toISOString() } : {}),
  };
  push(runStart);
  const api = {
    events,
    at(ms: number) {
      now = T0 + ms;
      return api;
    },
    stepStart: (stepId: string) => (push({ type: 'step-start', stepId }), api),
    attemptStart: (stepId: string, attempt: number, maxAttempts = 3) => (push({ type: 'attempt-start', stepId, attempt, maxAttempts, timeoutMs: 60_000 }), api),
    attemptEnd: (stepId: string, attempt: number, ok: boolean, extra: Record<string, unknown> = {}) => (push({ type: 'attempt-end', stepId, attempt, ok, ...extra }), api),
    progress: (stepId: string, detail: string) => (push({ type: 'step-progress', stepId, detail }), api),
    log: (stepId: string, line: string, stream: 'stdout' | 'stderr' = 'stdout') => (push({ type: 'step-log', stepId, stream, line }), api),
    table: (stepId: string, table: { title: string; columns: string[]; rows: string[][] }) => (push({ type: 'step-report', stepId, table }), api),
    approval: (stepId: string, approved: boolean, by: string) => (push({ type: 'step-approval', stepId, approved, by }), api),
    stepEnd: (stepId: string, status: string, extra: Record<string, unknown> = {}) => (push({ type: 'step-end', stepId, status, ...extra }), api),
    /** `opsbook resume`: the run starts again in the same journal (on `host`, when given). */
    resume: (host?: string) => (push({ ...runStart, ...(host !== undefined ? { host } : {}), resumedFrom: RUN }), api),
    runEnd: (status: string, durationMs: number, extra: Record<string, unknown> = {}) => (push({ type: 'run-end', status, durationMs, ...extra }), api),
  };
  return api;
}

export const step = (id: string, needs: string[] = [], type = 'shell', name = id): Step => ({ id, name, type, needs });
