// Where a run's files live under the state directory: `<stateDir>/runs/<runId>/` with journal.ndjson and run.json.

import { join } from 'node:path';

export function runsDir(stateDir: string): string {
  return join(stateDir, 'runs');
}

export function runDirFor(stateDir: string, runId: string): string {
  return join(runsDir(stateDir), runId);
}

export function journalPathFor(stateDir: string, runId: string): string {
  return join(runDirFor(stateDir, runId), 'journal.ndjson');
}

export function metadataPathFor(stateDir: string, runId: string): string {
  return join(runDirFor(stateDir, runId), 'run.json');
}
