// run.json beside the journal: what `opsbook resume` needs to find the runbook again without replaying the journal.

import { readFileSync, writeFileSync } from 'node:fs';
import { metadataPathFor } from './paths.js';

export interface RunMetadata {
  runId: string;
  runbook: { path: string; name: string; sha256: string };
  /** Non-secret inputs (secrets are asked again on resume). */
  inputs: Record<string, unknown>;
  /** Names of secret inputs, so resume knows what to ask for. */
  secretInputs: string[];
  startedAt: string;
}

export function writeRunMetadata(stateDir: string, metadata: RunMetadata): void {
  writeFileSync(metadataPathFor(stateDir, metadata.runId), `${JSON.stringify(metadata, null, 2)}\n`);
}

/** undefined when the run has no metadata file (e.g. a journal copied by hand). */
export function readRunMetadata(stateDir: string, runId: string): RunMetadata | undefined {
  try {
    return JSON.parse(readFileSync(metadataPathFor(stateDir, runId), 'utf8')) as RunMetadata;
  } catch {
    return undefined;
  }
}
