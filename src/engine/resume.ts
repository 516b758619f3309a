// Resume: replay the journal, refuse when the runbook changed, reuse what succeeded and run the rest in the same journal.

import { UsageError } from '../errors.js';
import { checkLeftovers, describeLeftover, stopLeftovers } from './leftovers.js';
import type { RunClaim } from '../store/index.js';
import { isRunId } from './journal/run-id.js';
import { replayJournal, type RunHistory, type StepEndEvent } from './journal/replay.js';
import { normalizeOptions, resolveStore, type ExecuteOptions } from './options.js';
import { runRunbook, type RunResult } from './run.js';
import { applyFrom } from './selection/from.js';
import type { StepOutcome } from './state.js';

export interface ResumeOptions extends Omit<ExecuteOptions, 'runId'> {
  /** The run to continue. */
  runId: string;
  /** Resume even though the runbook's sha256 differs from the recorded one. @default false */
  allowChanged?: boolean;
  /** The run, already claimed by the caller (the CLI claims before taking the cluster lock). @default claimed here */
  claim?: RunClaim;
  /** Proceed although the crashed run's processes (or owner) are on another host and cannot be checked. @default false */
  force?: boolean;
  /** Told about leftover processes of the crashed run before they are stopped. @default ignored */
  onNotice?: (text: string) => void;
  /**
   * `--from`: run these steps and everything downstream of them again, even if they (or the whole run) succeeded;
   * the rest is reused as on any resume. @default [] (continue what did not succeed)
   */
  from?: readonly string[];
}

/**
 * Continues a failed, interrupted or crashed run: steps that succeeded (or were skipped by their own `when`) are
 * reused with their recorded outputs (step-end reused:true); failed, cancelled and unstarted ones run again, and so do
 * succeeded ones whose outputs held a secret (listed in run-start `rerun` with the reason).
 * Appends to the same journal under a new run-start with `resumedFrom`. The deadline starts afresh.
 * Processes the crashed run left running are stopped first (see leftovers.ts).
 * With `from`, those steps and their dependants run again too (a succeeded run can be resumed that way).
 * Throws UsageError (exit 2) when the run is unknown, still running, already succeeded (without `from`), its runbook
 * changed, or a `from` step is unknown.
 */
export async function resumeRunbook(options: ResumeOptions): Promise<RunResult> {
  const { runId, stateDir } = options;
  const store = resolveStore(options);
  const journalPath = store.locate(runId);
  if (!isRunId(runId) && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) throw new UsageError(`${runId} is not a run id`);
  if (!(await store.has(runId))) throw new UsageError(`no run ${runId} in ${stateDir} (see \`opsbook runs\`)`);
  // Claimed before the journal is read: a run still being executed refuses here, naming its owner.
  const claim = options.claim ?? (await store.claim(runId, { force: options.force ?? false }));
  try {
    const { events } = await store.read(runId);
    const { reused, rerun } = checkResumable(options, journalPath, replayJournal(events));
    await stopLeftoversBeforeResume(options, events);
    const engine = normalizeOptions({ ...options, store, runId: undefined });
    const from = options.from ?? [];
    return await runRunbook(engine, { resumeOf: runId, reused, rerun, claim, ...(from.length ? { selection: { from: [...from] } } : {}) });
  } finally {
    if (!options.claim) await claim.release();
  }
}

function checkResumable(options: ResumeOptions, journalPath: string, history: RunHistory) {
  const { runId, runbook } = options;
  const recorded = history.firstStart?.runbook;
  if (!recorded) throw new UsageError(`run ${runId} has an empty journal (${journalPath}); start a new run instead`);
  const from = options.from ?? [];
  if (history.status === 'succeeded' && from.length === 0) {
    throw new UsageError(`run ${runId} already succeeded; there is nothing to resume (resume --from STEP re-runs part of it)`);
  }
  if (recorded.sha256 !== runbook.sha256 && !options.allowChanged) {
    throw new UsageError(
      `runbook ${runbook.file} changed since run ${runId} started (sha256 ${recorded.sha256.slice(0, 12)}… → ` +
        `${runbook.sha256.slice(0, 12)}…); the recorded steps may no longer match it. Start a new run, or pass ` +
        '--allow-changed to resume anyway',
    );
  }
  const reusable = selectReusable(history.steps, new Set(runbook.steps.map((s) => s.id)));
  return from.length ? applyFrom(runbook, from, reusable) : reusable;
}

/**
 * A step process that outlived its opsbook would overlap the step's second run: stop it first. One on another host
 * cannot be checked, so resume refuses unless --force (the operator vouches it is gone).
 */
async function stopLeftoversBeforeResume(options: ResumeOptions, events: Parameters<typeof checkLeftovers>[0]): Promise<void> {
  const leftovers = checkLeftovers(events);
  const unknown = leftovers.filter((l) => l.check === 'unknown');
  if (unknown.length > 0 && !options.force) {
    throw new UsageError(
      `run ${options.runId} was executing ${unknown.map((l) => describeLeftover(l.process)).join('; ')} when it stopped; ` +
        'opsbook cannot check from here whether that process still runs (another host, or no start time recorded). ' +
        'Make sure it has ended, then resume with --force',
    );
  }
  await stopLeftovers(leftovers, options.killGraceMs ?? 5000, options.onNotice ?? (() => {}));
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
