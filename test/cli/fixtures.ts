// Shared set-up for CLI end-to-end tests: fixture paths, a temp state dir (and kubeconfig) per test, journal reading.

import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';

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

export interface TestDir extends TempDir {
  /** The owner-only kubeconfig file written into the dir; only when `useTempDir` was given its text. */
  readonly kubeconfig: string;
}

/**
 * Registers hooks giving every test of the file a fresh temp dir, removed after it (after the file's own afterEach
 * hooks, which run in reverse order). With `kubeconfig`, its text (asked for per test, so a cluster started in
 * beforeAll can give it) is written there 0600. The returned object always points at the running test's dir.
 */
export function useTempDir(options: { kubeconfig?: () => string } = {}): TestDir {
  let current: TempDir | undefined;
  beforeEach(() => {
    current = makeTempDir();
    if (options.kubeconfig) writeFileSync(path.join(current.dir, 'kubeconfig'), options.kubeconfig(), { mode: 0o600 });
  });
  afterEach(() => current?.cleanup());
  const now = (): TempDir => {
    if (!current) throw new Error('useTempDir: no test is running');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get stateDir() {
      return now().stateDir;
    },
    get kubeconfig() {
      if (!options.kubeconfig) throw new Error('useTempDir: no kubeconfig was asked for');
      return path.join(now().dir, 'kubeconfig');
    },
    cleanup: () => now().cleanup(),
  };
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
