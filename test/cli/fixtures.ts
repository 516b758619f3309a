// Shared set-up for CLI end-to-end tests: fixture paths, a temp state dir, journal reading.

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

export interface TempDir {
  dir: string;
  stateDir: string;
  cleanup(): void;
}

export function makeTempDir(): TempDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'opsbook-cli-'));
  return { dir, stateDir: path.join(dir, 'state'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Run ids in a state dir (one directory per run). */
export function runIds(stateDir: string): string[] {
  return readdirSync(path.join(stateDir, 'runs')).sort();
}

export function journalText(stateDir: string, runId: string): string {
  return readFileSync(path.join(stateDir, 'runs', runId, 'journal.ndjson'), 'utf8');
}

export function journalEvents(stateDir: string, runId: string): { type: string; [k: string]: unknown }[] {
  return journalText(stateDir, runId).trim().split('\n').map((l) => JSON.parse(l));
}
