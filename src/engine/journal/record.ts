// Opens everything a run writes under <stateDir>/runs/<id>/: the owner claim, the journal and (first run) run.json.

import { writeRunMetadata, type RunMetadata } from './metadata.js';
import { claimRun, type RunClaim } from './owner.js';
import { journalPathFor } from './paths.js';
import { openJournal, trimTornTail, type JournalWriter } from './writer.js';

export interface RunRecord {
  journal: JournalWriter;
  /** Syncs and closes the journal and drops the owner file. */
  close(): void;
}

/**
 * A resumed run appends to its journal (after cutting a torn last line) and keeps its original run.json. The run is
 * claimed before its journal is touched (or `claim` is one the caller already holds), so a second process never writes it.
 */
export function openRunRecord(stateDir: string, metadata: RunMetadata, resumed: boolean, claim?: RunClaim): RunRecord {
  const path = journalPathFor(stateDir, metadata.runId);
  // A new run's id is fresh, so nobody races for it: open the journal first, so it syncs the directories it creates.
  let held = claim ?? (resumed ? claimRun(stateDir, metadata.runId) : undefined);
  let journal: JournalWriter | undefined;
  try {
    if (resumed) trimTornTail(path);
    journal = openJournal(path);
    held ??= claimRun(stateDir, metadata.runId);
    if (!resumed) writeRunMetadata(stateDir, metadata);
  } catch (error) {
    journal?.close();
    held?.release();
    throw error;
  }
  const opened = journal;
  const owner = held;
  return {
    journal: opened,
    close: () => {
      opened.close();
      owner.release();
    },
  };
}
