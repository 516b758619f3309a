// The executor's orchestrator: set up journal, redaction, signals and deadline, schedule the steps, sum up the run.

import { resolve } from 'node:path';
import { CancelledError, UsageError } from '../errors.js';
import type { Runbook } from '../runbook/types.js';
import { createEmitter } from './emitter.js';
import { resolveDeadlineMs, armDeadline } from './deadline.js';
import type { RunSelection, RunStatus } from './events.js';
import { JOURNAL_VERSION } from './journal/format.js';
import { createRunId, isRunId } from './journal/run-id.js';
import type { RunClaim } from '../store/index.js';
import { openRunRecord } from './journal/record.js';
import { normalizeOptions, type EngineOptions, type ExecuteOptions } from './options.js';
import { createRedactor, maskValues } from './redact.js';
import { scheduleSteps, type ReusedOutcomes } from './scheduler.js';
import type { StepSelection } from './selection/select.js';
import { collectStepResults, summarizeRun, type RunResult } from './result.js';
import type { RunDeadline, RunState, StepOutcome } from './state.js';

export type { RunResult, StepResult } from './result.js';

/**
 * Runs a normalised runbook to the end; never throws for step failures (see `status`), only for bad options.
 * With a selection (selectSteps: `--only`/`--skip`/`--from`), unselected steps are reused or skipped as it decided.
 */
export async function executeRunbook(options: ExecuteOptions, selection?: StepSelection): Promise<RunResult> {
  if (!selection) return runRunbook(normalizeOptions(options), { reused: new Map() });
  const { only, skip, from, fromRun } = selection;
  const asked = { ...(only ? { only } : {}), ...(skip ? { skip } : {}), ...(from ? { from } : {}), ...(fromRun ? { fromRun } : {}) };
  return runRunbook(normalizeOptions(options), { reused: selection.settled, selection: asked });
}

export interface RunStart {
  /** The run being resumed: its id and journal are reused. */
  resumeOf?: string;
  reused: ReusedOutcomes;
  /** Steps that ended well in the run being resumed but run again, with why (announced in run-start). */
  rerun?: ReadonlyMap<string, string>;
  /** The run's owner claim when the caller already holds it (resume). */
  claim?: RunClaim;
  /** A partial run's selection, journaled in run-start (its settled steps are in `reused`). */
  selection?: RunSelection;
}

/** Shared by executeRunbook and resumeRunbook. */
export async function runRunbook(options: EngineOptions, start: RunStart): Promise<RunResult> {
  const { clock, runbook } = options;
  const startedAt = clock.now();
  const runId = start.resumeOf ?? options.runId ?? createRunId(startedAt);
  if (!isRunId(runId) && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(runId)) {
    throw new UsageError(`run id ${JSON.stringify(runId)} may only hold letters, digits, '.', '_' and '-'`);
  }
  const runInfo = { id: runId, startedAt: new Date(startedAt).toISOString() };
  const deadlineMs = resolveDeadlineMs(runbook, { inputs: options.inputs, steps: {}, run: runInfo });
  const deadline: RunDeadline | undefined =
    deadlineMs === undefined ? undefined : { source: runbook.deadline!, ms: deadlineMs, at: startedAt + deadlineMs };

  const journalPath = options.store.locate(runId);
  const redactor = createRedactor(options.secretValues);
  const publicInputs = maskValues(selectPublicInputs(runbook, options.inputs), redactor);
  const runbookRef = { path: resolve(options.cwd, runbook.file), name: runbook.metadata.name, sha256: runbook.sha256 };
  const secretInputs = Object.values(runbook.inputs).filter((i) => i.type === 'secret').map((i) => i.name);
  const record = await openRunRecord(
    options.store,
    { runId, runbook: runbookRef, inputs: publicInputs, secretInputs, startedAt: runInfo.startedAt },
    start.resumeOf !== undefined,
    start.claim,
  );

  const controller = new AbortController();
  const finished = new AbortController();
  const onAbort = () => controller.abort(toCancellation(options.signal!.reason));
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  // Without a journal the run could not be resumed: stop it rather than carry on unrecorded.
  const onJournalError = (error: Error) =>
    controller.abort(new CancelledError(`cannot write the journal ${journalPath}: ${error.message}`, 'aborted', { cause: error }));
  const emit = createEmitter(runId, clock, redactor, record.journal, options.onEvent, onJournalError);
  const run: RunState = {
    runId,
    runbook,
    options,
    emit,
    redactor,
    signal: controller.signal,
    startedAt,
    deadline,
    inputs: options.inputs,
    runInfo,
    states: new Map(),
    gateQueue: Promise.resolve(),
  };
  emit({
    type: 'run-start',
    journalVersion: JOURNAL_VERSION,
    host: options.host,
    runbook: runbookRef,
    inputs: publicInputs,
    ...(deadline ? { deadline: new Date(deadline.at).toISOString() } : {}),
    steps: runbook.steps.map((s) => ({ id: s.id, name: s.name, type: s.type, needs: s.needs })),
    ...(start.resumeOf ? { resumedFrom: start.resumeOf } : {}),
    ...(start.rerun?.size ? { rerun: [...start.rerun].map(([stepId, reason]) => ({ stepId, reason })) } : {}),
    ...(start.selection ? { selection: start.selection } : {}),
  });
  if (deadline) armDeadline(deadline, clock, controller, finished.signal);

  try {
    let outcomes: Map<string, StepOutcome>;
    let summary: { status: RunStatus; error?: string };
    try {
      outcomes = await scheduleSteps(run, options.concurrency, start.reused);
      summary = summarizeRun(run, outcomes);
    } catch (error) {
      outcomes = new Map();
      summary = { status: 'failed', error: `engine error: ${(error as Error).message}` };
    }
    const durationMs = clock.now() - startedAt;
    const error = summary.error === undefined ? undefined : redactor.text(summary.error);
    emit({ type: 'run-end', status: summary.status, ...(error !== undefined ? { error } : {}), durationMs });
    return {
      runId,
      status: summary.status,
      ...(error !== undefined ? { error } : {}),
      steps: collectStepResults(runbook, outcomes, redactor),
      journalPath,
      durationMs,
    };
  } finally {
    finished.abort(RUN_OVER);
    options.signal?.removeEventListener('abort', onAbort);
    await record.close();
  }
}

/** Inputs safe to record: secret-typed ones are left out entirely. */
function selectPublicInputs(runbook: Runbook, inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inputs)) {
    if (runbook.inputs[name]?.type !== 'secret') out[name] = value;
  }
  return out;
}

/**
 * Why the caller aborted: a CancelledError says it itself; a bare abort() counts as an interrupt (exit 130); any other
 * error (e.g. the cluster lock was lost) fails the run with its message.
 */
function toCancellation(reason: unknown): CancelledError {
  if (reason instanceof CancelledError) return reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return new CancelledError(reason.message, 'aborted', { cause: reason });
  return new CancelledError('interrupted', 'interrupted', { cause: reason });
}

// Ends the run's own timers; a bare abort() would build a DOMException nobody reads.
const RUN_OVER = new Error('run over');
