// run.json beside the journal: what `opsbook resume` needs to find the runbook again without replaying the journal.

import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { metadataPathFor } from './paths.js';
import type { RunMetadata } from '../index.js';
import { PRIVATE_FILE_MODE } from './modes.js';
import { syncDirectory } from './writer.js';

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
