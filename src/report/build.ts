// Folds a run's journal events into a RunReport: attempts, gaps, tables, approvals, deadline slack and critical path.

import { computeWaves, findCriticalPath } from '../engine/plan/graph.js';
import type { EngineEvent } from '../engine/events.js';
import { UsageError } from '../errors.js';
import { extractCerts, extractCsrs } from './extract.js';
import type { ReportApproval, ReportStep, RunReport } from './model.js';

/** What the journal does not hold: the names of secret inputs (from run metadata) and whether its tail was torn. */
export interface BuildOptions {
  secretInputs?: readonly string[];
  tornTail?: boolean;
}

/** The value a secret input is shown with, as everywhere else. */
export const SECRET_MASK = '***';

type RunStart = Extract<EngineEvent, { type: 'run-start' }>;

export function buildRunReport(events: readonly EngineEvent[], options: BuildOptions = {}): RunReport {
  const starts = events.filter((e): e is RunStart => e.type === 'run-start');
  const first = starts[0];
  const last = starts.at(-1);
  if (!first || !last) throw new UsageError('the journal has no run-start: nothing to report');
  const base = Date.parse(first.time);
  const at = (time: string): number => Date.parse(time) - base;
  const steps = new Map<string, ReportStep>();
  for (const start of starts) for (const s of start.steps) if (!steps.has(s.id)) steps.set(s.id, newStep(s));
  const approvals: ReportApproval[] = [];
  let runEnd: Extract<EngineEvent, { type: 'run-end' }> | undefined;
  let lastMs: number | undefined;
  for (const event of events) {
    const previousMs = lastMs;
    lastMs = at(event.time);
    if (event.type === 'run-start') {
      runEnd = undefined;
      // A resume: what the earlier process left running was cut short at its last journaled moment.
      if (previousMs !== undefined) for (const step of steps.values()) cutShort(step, previousMs);
      continue;
    }
    if (event.type === 'run-end') {
      runEnd = event;
      continue;
    }
    const step = steps.get(event.stepId);
    if (!step) continue;
    applyStepEvent(step, event, at(event.time), approvals);
  }
  const lastTime = events.at(-1)!.time;
  const endMs = at(runEnd?.time ?? lastTime);
  for (const step of steps.values()) closeStep(step, endMs);
  const list = [...steps.values()];
  const { waveOf, waves } = computeWaves(list);
  for (const step of list) step.wave = waveOf.get(step.id) ?? 0;
  const elapsed = new Map(list.map((s) => [s.id, s.startMs !== undefined && s.endMs !== undefined ? s.endMs - s.startMs : 0]));
  const criticalPath = list.some((s) => (elapsed.get(s.id) ?? 0) > 0) ? findCriticalPath(list, elapsed).steps : [];
  for (const id of criticalPath) steps.get(id)!.critical = true;
  const deadlineMs = last.deadline === undefined ? undefined : at(last.deadline);
  const secretInputs = Object.fromEntries((options.secretInputs ?? []).map((name) => [name, SECRET_MASK]));
  return {
    kind: 'run',
    runId: first.runId,
    runbook: last.runbook,
    inputs: { ...last.inputs, ...secretInputs },
    hosts: [...new Set(starts.flatMap((s) => (s.host ? [s.host] : [])))],
    startedAt: first.time,
    endedAt: runEnd?.time ?? lastTime,
    durationMs: endMs,
    status: runEnd?.status ?? 'interrupted',
    interrupted: runEnd === undefined,
    ...(runEnd?.error !== undefined ? { error: runEnd.error } : {}),
    ...(deadlineMs !== undefined ? { deadline: { at: last.deadline!, offsetMs: deadlineMs, slackMs: deadlineMs - endMs } } : {}),
    resumes: starts.length - 1,
    tornTail: options.tornTail ?? false,
    steps: list,
    waves,
    criticalPath,
    approvals,
  };
}

function newStep(s: RunStart['steps'][number]): ReportStep {
  return {
    id: s.id, name: s.name, type: s.type, needs: [...s.needs], wave: 0, status: 'not run', attempts: [], gaps: [], outputsRedacted: false,
    reused: false, details: [], logs: [], tables: [], approvals: [], critical: false,
  };
}

type StepEvent = Exclude<EngineEvent, { type: 'run-start' | 'run-end' }>;

/** When each step last started (its latest run, after any resume). */
const startedAt = new WeakMap<ReportStep, number>();

/**
 * One event of one step. A step-start of a step that ran before (a resume runs it again) keeps its earlier attempts,
 * so the report shows the whole run: the time until the resume is a wait, and the step's bar starts at its first start.
 */
function applyStepEvent(step: ReportStep, event: StepEvent, ms: number, approvals: ReportApproval[]): void {
  switch (event.type) {
    case 'step-start': {
      const earlier = step.attempts.at(-1);
      const since = earlier?.endMs ?? step.endMs;
      if (earlier && since !== undefined && ms > since) step.gaps.push({ kind: 'wait', startMs: since, endMs: ms, label: 'stopped until the run was resumed' });
      Object.assign(step, { status: 'running', startMs: earlier ? step.startMs : ms, endMs: undefined, reused: false });
      startedAt.set(step, ms);
      return;
    }
    case 'attempt-start': {
      // Backoff and queueing are measured within this start of the step, not from an attempt before a resume.
      const since = startedAt.get(step) ?? step.startMs ?? ms;
      const previous = step.attempts.findLast((a) => a.startMs >= since);
      const from = previous?.endMs ?? since;
      if (from !== undefined && ms > from) {
        const backoff = previous !== undefined;
        step.gaps.push({ kind: backoff ? 'backoff' : 'wait', startMs: from, endMs: ms, label: backoff ? `backoff before attempt ${event.attempt}` : 'waiting to start' });
      }
      step.attempts.push({ attempt: event.attempt, maxAttempts: event.maxAttempts, startMs: ms, timeoutMs: event.timeoutMs });
      return;
    }
    case 'attempt-end': {
      const attempt = step.attempts.findLast((a) => a.attempt === event.attempt && a.endMs === undefined);
      if (!attempt) return;
      Object.assign(attempt, {
        endMs: ms, ok: event.ok,
        ...(event.errorClass !== undefined ? { errorClass: event.errorClass } : {}),
        ...(event.error !== undefined ? { error: event.error } : {}),
        ...(event.retryInMs !== undefined ? { retryInMs: event.retryInMs } : {}),
      });
      return;
    }
    case 'step-progress':
      if (step.details.at(-1) !== event.detail) step.details.push(event.detail);
      return;
    case 'step-log':
      step.logs.push({ stream: event.stream, line: event.line });
      return;
    case 'step-report':
      step.tables.push(event.table);
      return;
    case 'step-approval': {
      const approval = { stepId: step.id, approved: event.approved, by: event.by, time: event.time };
      step.approvals.push(approval);
      approvals.push(approval);
      // The gate held the attempt from its start until the answer: that stretch is waiting for a person, not work.
      const attempt = step.attempts.at(-1);
      if (attempt && attempt.endMs === undefined && ms > attempt.startMs) {
        step.gaps.push({ kind: 'gate', startMs: attempt.startMs, endMs: ms, label: `gate ${event.approved ? 'approved' : 'declined'} by ${event.by}` });
      }
      return;
    }
    case 'step-end':
      endStep(step, event, ms);
      return;
    case 'step-process':
      return;
  }
}

function endStep(step: ReportStep, event: Extract<EngineEvent, { type: 'step-end' }>, ms: number): void {
  step.status = event.status;
  step.endMs = ms;
  // A reused or skipped step never started here: it ends at the moment it was decided, and takes no time.
  step.startMs ??= ms;
  step.durationMs = event.durationMs ?? ms - step.startMs;
  step.outputs = event.outputs;
  step.outputsRedacted = event.outputsRedacted ?? false;
  step.reason = event.reason;
  step.errorClass = event.errorClass;
  step.skip = event.skip;
  step.reused = event.reused ?? false;
  step.reusedFrom = event.reusedFrom;
  const csr = extractCsrs(step.type, event.outputs, step.tables);
  if (csr) step.csr = csr;
  const certs = extractCerts(step.type, event.outputs);
  if (certs) step.certs = certs;
}

/** A step an interrupted process left running: its open attempt ends (neither ok nor failed) where the journal stopped. */
function cutShort(step: ReportStep, ms: number): void {
  if (step.status !== 'running') return;
  for (const attempt of step.attempts) attempt.endMs ??= ms;
  step.endMs = ms;
}

/** A step the journal leaves running (interrupted run) is drawn up to the journal's last moment. */
function closeStep(step: ReportStep, endMs: number): void {
  if (step.status !== 'running') return;
  step.endMs = endMs;
  step.durationMs = endMs - (step.startMs ?? endMs);
}
