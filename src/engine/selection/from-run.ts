// `--from-run RUN_ID`: the earlier run's last outcome of each step, read from its journal (through the run store, like resume).

import { UsageError } from '../../errors.js';
import type { RunStore } from '../../store/index.js';
import { isRunId } from '../journal/run-id.js';
import { replayJournal, type StepEndEvent } from '../journal/replay.js';

export interface EarlierRun {
  runId: string;
  /** Each step's last step-end in that run. */
  steps: Map<string, StepEndEvent>;
  /** sha256 of the runbook that run executed (its first run-start). */
  runbookSha256: string | undefined;
}

/** Throws UsageError (exit 2) naming the flag when the run id is malformed or unknown. */
export async function readEarlierRun(store: RunStore, runId: string): Promise<EarlierRun> {
  if (!isRunId(runId)) throw new UsageError(`--from-run ${runId}: not a run id (see \`opsbook runs\`)`);
  if (!(await store.has(runId))) throw new UsageError(`--from-run ${runId}: no such run (looked for ${store.locate(runId)}; see \`opsbook runs\`)`);
  const history = replayJournal((await store.read(runId)).events);
  return { runId, steps: history.steps, runbookSha256: history.firstStart?.runbook.sha256 };
}
