// run.json beside the journal: what `opsbook resume` needs to find the runbook again without replaying the journal.

import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { PRIVATE_FILE_MODE } from './modes.js';
import { metadataPathFor } from './paths.js';
import { syncDirectory } from './writer.js';

export interface RunMetadata {
  runId: string;
  runbook: { path: string; name: string; sha256: string };
  /** Non-secret inputs (secrets are asked again on resume). */
  inputs: Record<string, unknown>;
  /** Names of secret inputs, so resume knows what to ask for. */
  secretInputs: string[];
  startedAt: string;
}

/** Synced with its directory entry: after power loss, resume must still find the runbook of a journaled run. */
export function writeRunMetadata(stateDir: string, metadata: RunMetadata): void {
  const path = metadataPathFor(stateDir, metadata.runId);
  const fd = openSync(path, 'w', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, `${JSON.stringify(metadata, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDirectory(dirname(path));
}

/** undefined when the run has no metadata file (e.g. a journal copied by hand). */
export function readRunMetadata(stateDir: string, runId: string): RunMetadata | undefined {
  try {
    return JSON.parse(readFileSync(metadataPathFor(stateDir, runId), 'utf8')) as RunMetadata;
  } catch {
    return undefined;
  }
}
