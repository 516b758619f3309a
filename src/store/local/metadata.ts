// run.json beside the journal: what `opsbook resume` needs to find the runbook again without replaying the journal,
// and once the run has ended, the summary `opsbook runs` lists it by (field `summary`).

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { journalPathFor, metadataPathFor, runsDir } from './paths.js';
import type { RunMetadata, RunSummaryRecord } from '../index.js';
import { PRIVATE_FILE_MODE } from './modes.js';
import { syncDirectory } from './writer.js';

/** Synced with its directory entry: after power loss, resume must still find the runbook of a journaled run. */
export function writeRunMetadata(stateDir: string, metadata: RunMetadata): void {
  const path = metadataPathFor(stateDir, metadata.runId);
  writeSynced(path, metadata);
  syncDirectory(dirname(path));
}

function writeSynced(path: string, content: object): void {
  const fd = openSync(path, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, `${JSON.stringify(content, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Sets (or, undefined, removes) run.json's summary, with the size of the journal it summarises: a journal changed
 * since (edited or cut by hand) is listed by replay. Replaced through a renamed copy: a crash mid-write must not cost
 * resume the run's metadata. A run without run.json (a journal copied by hand) gets none: it is listed by replay.
 */
export function writeRunSummary(stateDir: string, runId: string, summary: RunSummaryRecord | undefined): void {
  const path = metadataPathFor(stateDir, runId);
  const stored = readStored(path);
  if (!stored || (summary === undefined && stored.summary === undefined)) return;
  const { summary: _old, ...metadata } = stored;
  const journalBytes = summary && statSync(journalPathFor(stateDir, runId)).size;
  writeSynced(`${path}.tmp`, summary === undefined ? metadata : { ...metadata, summary: { ...summary, journalBytes } });
  renameSync(`${path}.tmp`, path);
  syncDirectory(dirname(path));
}

/** Summaries of the runs whose run.json has one; a malformed one is left out (that run is listed by replay). */
export function readRunSummaries(stateDir: string): Map<string, RunSummaryRecord> {
  const summaries = new Map<string, RunSummaryRecord>();
  const dir = runsDir(stateDir);
  if (!existsSync(dir)) return summaries;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const { journalBytes, ...summary } = (readStored(metadataPathFor(stateDir, entry.name))?.summary ?? {}) as { journalBytes?: unknown };
    if (isRunSummary(summary) && journalBytes === journalSize(stateDir, entry.name)) summaries.set(entry.name, summary);
  }
  return summaries;
}

function journalSize(stateDir: string, runId: string): number | undefined {
  try {
    return statSync(journalPathFor(stateDir, runId)).size;
  } catch {
    return undefined;
  }
}

function readStored(path: string): (RunMetadata & { summary?: unknown }) | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunMetadata & { summary?: unknown };
  } catch {
    return undefined;
  }
}

/** Summaries are read from what anyone with access may have edited: only one of the right shape replaces a replay. */
export function isRunSummary(value: unknown): value is RunSummaryRecord {
  const s = value as Partial<RunSummaryRecord> | undefined;
  return (
    typeof s === 'object' && s !== null && typeof s.runbook === 'object' && s.runbook !== null && typeof s.runbook.name === 'string' &&
    typeof s.runbook.path === 'string' && typeof s.startedAt === 'string' && typeof s.lastTime === 'string' && !Number.isNaN(Date.parse(s.startedAt)) &&
    !Number.isNaN(Date.parse(s.lastTime)) && typeof s.resumes === 'number' && ['succeeded', 'failed', 'interrupted'].includes(s.status as string) &&
    (s.error === undefined || typeof s.error === 'string')
  );
}

/** undefined when the run has no metadata file (e.g. a journal copied by hand). */
export function readRunMetadata(stateDir: string, runId: string): RunMetadata | undefined {
  const stored = readStored(metadataPathFor(stateDir, runId));
  if (!stored) return undefined;
  const { summary: _summary, ...metadata } = stored;
  return metadata;
}
