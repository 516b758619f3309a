// Resume: replay the journal, refuse when the runbook changed, reuse what succeeded and run the rest in the same journal.

import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { isRunActive } from './journal/owner.js';
import { isRunId, journalPathFor } from './journal/paths.js';
import { readJournalSync } from './journal/read.js';
import { replayJournal, type StepEndEvent } from './journal/replay.js';
import { normalizeOptions, type ExecuteOptions } from './options.js';
import { runRunbook, type RunResult } from './run.js';
import type { StepOutcome } from './state.js';

export interface ResumeOptions extends Omit<ExecuteOptions, 'runId'> {
  /** The run to continue. */
  runId: string;
  /** Resume even though the runbook's sha256 differs from the recorded one. @default false */
  allowChanged?: boolean;
}

/**
 * Continues a failed, interrupted or crashed run: steps that succeeded (or were skipped by their own `when`) are
 * reused with their recorded outputs (step-end reused:true); failed, cancelled and unstarted ones run again, and so do
 * succeeded ones whose outputs held a secret (listed in run-start `rerun` with the reason).
 * Appends to the same journal under a new run-start with `resumedFrom`. The deadline starts afresh.
 * Throws UsageError (exit 2) when the run is unknown, still running, already succeeded, or its runbook changed.
 */
export async function resumeRunbook(options: ResumeOptions): Promise<RunResult> {
  const { runId, stateDir, runbook } = options;
  const journalPath = journalPathFor(stateDir, runId);
  if (!isRunId(runId) && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) throw new UsageError(`${runId} is not a run id`);
  if (!existsSync(journalPath)) throw new UsageError(`no run ${runId} in ${stateDir} (see \`opsbook runs\`)`);
  const history = replayJournal(readJournalSync(journalPath).events);
  const recorded = history.firstStart?.runbook;
  if (!recorded) throw new UsageError(`run ${runId} has an empty journal (${journalPath}); start a new run instead`);
  if (history.status === 'succeeded') throw new UsageError(`run ${runId} already succeeded; there is nothing to resume`);
  if (history.status === undefined && isRunActive(stateDir, runId)) {
    throw new UsageError(`run ${runId} is still running; wait for it to end or stop it first`);
  }
  if (recorded.sha256 !== runbook.sha256 && !options.allowChanged) {
    throw new UsageError(
      `runbook ${runbook.file} changed since run ${runId} started (sha256 ${recorded.sha256.slice(0, 12)}… → ` +
        `${runbook.sha256.slice(0, 12)}…); the recorded steps may no longer match it. Start a new run, or pass ` +
        '--allow-changed to resume anyway',
    );
  }
  const { reused, rerun } = selectReusable(history.steps, new Set(runbook.steps.map((s) => s.id)));
  const engine = normalizeOptions({ ...options, runId: undefined });
  return runRunbook(engine, { resumeOf: runId, reused, rerun });
}

/** Why a step that succeeded is run again rather than reused. */
export const SECRET_OUTPUTS_RERUN_REASON = 'its outputs held a secret, which the journal never stores';

/**
 * Succeeded and when-skipped steps that still exist in the runbook. A succeeded step whose recorded outputs were
 * redacted (`outputsRedacted`) is not reused: its `***` would reach later steps in place of the secret, so it runs
 * again with the secrets given to this resume (steps are idempotent by design).
 */
function selectReusable(
  ends: ReadonlyMap<string, StepEndEvent>,
  known: ReadonlySet<string>,
): { reused: Map<string, StepOutcome>; rerun: Map<string, string> } {
  const reused = new Map<string, StepOutcome>();
  const rerun = new Map<string, string>();
  for (const [id, end] of ends) {
    if (!known.has(id)) continue;
    if (end.status === 'succeeded' && end.outputsRedacted === true) {
      rerun.set(id, SECRET_OUTPUTS_RERUN_REASON);
    } else if (end.status === 'succeeded') {
      reused.set(id, { status: 'succeeded', outputs: end.outputs ?? {}, reused: true });
    } else if (end.status === 'skipped' && end.skip === 'when') {
      reused.set(id, { status: 'skipped', outputs: {}, reason: end.reason, skip: 'when', reused: true });
    }
  }
  return { reused, rerun };
}
