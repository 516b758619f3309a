// Opens everything a run writes in its store: the owner claim, the journal and (first run) the run's metadata.

import type { JournalWriter, RunClaim, RunMetadata, RunStore } from '../../store/index.js';
import { emptyHistory, foldEvent, replayJournal, type RunHistory } from './replay.js';
import { endedSummary } from './summary.js';

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
  let history: RunHistory | undefined;
  try {
    if (store.writeSummary) history = resumed ? await forgetSummary(store, runId) : emptyHistory();
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
  let broken = false;
  return {
    journal: history ? foldingInto(opened, history, () => (broken = true)) : opened,
    close: async () => {
      try {
        await opened.close();
        // A run taken over is the new owner's to summarise: it forgot the old summary and writes its own.
        const summary = history && !broken && !owner.lost?.aborted ? endedSummary(history) : undefined;
        // Only a cache of what the journal says: if it cannot be written, `opsbook runs` replays this run's journal.
        if (summary) await store.writeSummary?.(runId, summary).catch(() => undefined);
      } finally {
        await owner.release();
      }
    },
  };
}

/**
 * A resumed run's recorded summary would outlive the appends: it is forgotten before the journal is touched. The
 * history folds on from the journal as it stands; undefined (no summary kept) when that cannot be read.
 */
async function forgetSummary(store: RunStore, runId: string): Promise<RunHistory | undefined> {
  await store.writeSummary!(runId, undefined);
  try {
    return replayJournal((await store.read(runId)).events);
  } catch {
    return undefined;
  }
}

/** Every event the journal took is folded into `history` too; after a failed append the history no longer matches it. */
function foldingInto(journal: JournalWriter, history: RunHistory, onBroken: () => void): JournalWriter {
  return {
    get path() {
      return journal.path;
    },
    append(event) {
      try {
        journal.append(event);
      } catch (error) {
        onBroken();
        throw error;
      }
      foldEvent(history, event);
    },
    close: () => journal.close(),
  };
}
