// The local store: a run is a directory under `<stateDir>/runs/` with journal.ndjson (fdatasync'ed appends),
// run.json (metadata) and owner.json (the claim), all 0600 in 0700 directories. Each verb is one of these files' modules.

import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { journalPathFor, runsDir } from './paths.js';
import { parseJournal } from '../../engine/journal/read.js';
import type { RunStore } from '../index.js';
import { addLocalAnswer, readLocalAnswers } from './answers.js';
import { readRunMetadata, readRunSummaries, writeRunMetadata, writeRunSummary } from './metadata.js';
import { claimRun, isRunActive, readRunOwner } from './owner.js';
import { openJournal, trimTornTail } from './writer.js';

export function createLocalStore(stateDir: string): RunStore {
  return {
    locate: (runId) => journalPathFor(stateDir, runId),
    has: async (runId) => existsSync(journalPathFor(stateDir, runId)),
    list: async () => listRunIds(stateDir),
    async openJournal(runId, options = {}) {
      const path = journalPathFor(stateDir, runId);
      if (options.resume && existsSync(path)) trimTornTail(path);
      return openJournal(path);
    },
    async read(runId) {
      const path = journalPathFor(stateDir, runId);
      return parseJournal(await readFile(path, 'utf8'), path);
    },
    claim: async (runId, options) => claimRun(stateDir, runId, options),
    readOwner: async (runId) => readRunOwner(stateDir, runId),
    isActive: async (runId) => isRunActive(stateDir, runId),
    writeMetadata: async (metadata) => writeRunMetadata(stateDir, metadata),
    readMetadata: async (runId) => readRunMetadata(stateDir, runId),
    writeSummary: async (runId, summary) => writeRunSummary(stateDir, runId, summary),
    readRunIndex: async () => ({ runIds: listRunIds(stateDir), summaries: readRunSummaries(stateDir) }),
    addAnswer: (runId, answer) => addLocalAnswer(stateDir, runId, answer),
    readAnswers: (runId, stepId) => readLocalAnswers(stateDir, runId, stepId),
  };
}

// Run ids start with their UTC start time, so reverse name order is newest first. Dot-entries (.writable-*) are not runs.
function listRunIds(stateDir: string): string[] {
  const dir = runsDir(stateDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort()
    .reverse();
}
