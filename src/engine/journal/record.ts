// Opens everything a run writes in its store: the owner claim, the journal and (first run) the run's metadata.

import type { JournalWriter, RunClaim, RunMetadata, RunStore } from '../../store/index.js';

export interface RunRecord {
  journal: JournalWriter;
  /** Makes the journal durable, closes it and gives up the claim. */
  close(): Promise<void>;
}

/**
 * A resumed run appends to its journal (the store cuts a torn last record) and keeps its original metadata. The run is
 * claimed before its journal is touched (or `claim` is one the caller already holds), so a second process never writes it.
 */
export async function openRunRecord(store: RunStore, metadata: RunMetadata, resumed: boolean, claim?: RunClaim): Promise<RunRecord> {
  const { runId } = metadata;
  // A new run's id is fresh, so nobody races for it: open the journal first, so it syncs the directories it creates.
  let held = claim ?? (resumed ? await store.claim(runId) : undefined);
  let journal: JournalWriter | undefined;
  try {
    journal = await store.openJournal(runId, { resume: resumed });
    held ??= await store.claim(runId);
    if (!resumed) await store.writeMetadata(metadata);
  } catch (error) {
    await journal?.close();
    await held?.release();
    throw error;
  }
  const opened = journal;
  const owner = held;
  return {
    journal: opened,
    close: async () => {
      try {
        await opened.close();
      } finally {
        await owner.release();
      }
    },
  };
}
