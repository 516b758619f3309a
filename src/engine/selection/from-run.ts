// `--from-run RUN_ID`: the earlier run's last outcome of each step, read from its journal (the one place selection reads one).

import { existsSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { isRunId, journalPathFor } from '../journal/paths.js';
import { readJournalSync } from '../journal/read.js';
import { replayJournal, type StepEndEvent } from '../journal/replay.js';

export interface EarlierRun {
  runId: string;
  /** Each step's last step-end in that run. */
  steps: Map<string, StepEndEvent>;
  /** sha256 of the runbook that run executed (its first run-start). */
  runbookSha256: string | undefined;
}

/** Throws UsageError (exit 2) naming the flag when the run id is malformed or unknown. */
export function readEarlierRun(stateDir: string, runId: string): EarlierRun {
  if (!isRunId(runId)) throw new UsageError(`--from-run ${runId}: not a run id (see \`opsbook runs\`)`);
  const path = journalPathFor(stateDir, runId);
  if (!existsSync(path)) throw new UsageError(`--from-run ${runId}: no such run in ${stateDir} (see \`opsbook runs\`)`);
  const history = replayJournal(readJournalSync(path).events);
  return { runId, steps: history.steps, runbookSha256: history.firstStart?.runbook.sha256 };
}
