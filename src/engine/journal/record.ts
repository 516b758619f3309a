// Opens everything a run writes under <stateDir>/runs/<id>/: the journal, the owner pid file and (first run) run.json.

import { writeRunMetadata, type RunMetadata } from './metadata.js';
import { claimRun } from './owner.js';
import { journalPathFor } from './paths.js';
import { openJournal, trimTornTail, type JournalWriter } from './writer.js';

export interface RunRecord {
  journal: JournalWriter;
  /** Syncs and closes the journal and drops the owner file. */
  close(): void;
}

/** A resumed run appends to its journal (after cutting a torn last line) and keeps its original run.json. */
export function openRunRecord(stateDir: string, metadata: RunMetadata, resumed: boolean): RunRecord {
  const path = journalPathFor(stateDir, metadata.runId);
  if (resumed) trimTornTail(path);
  const journal = openJournal(path);
  let release = (): void => {};
  try {
    release = claimRun(stateDir, metadata.runId);
    if (!resumed) writeRunMetadata(stateDir, metadata);
  } catch (error) {
    journal.close();
    release();
    throw error;
  }
  return {
    journal,
    close: () => {
      journal.close();
      release();
    },
  };
}
