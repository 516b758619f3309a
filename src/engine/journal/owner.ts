// A pid file beside a journal while a process is writing it, so a live run is neither resumed twice nor listed as crashed.

import { hostname } from 'node:os';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDirFor } from './paths.js';

interface Owner {
  pid: number;
  host: string;
}

function ownerPath(stateDir: string, runId: string): string {
  return join(runDirFor(stateDir, runId), 'owner.json');
}

export function claimRun(stateDir: string, runId: string): () => void {
  const path = ownerPath(stateDir, runId);
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname() } satisfies Owner));
  return () => rmSync(path, { force: true });
}

/** true when another live process on this host is running `runId` (a pid file left by a killed process does not count). */
export function isRunActive(stateDir: string, runId: string): boolean {
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(ownerPath(stateDir, runId), 'utf8')) as Owner;
  } catch {
    return false;
  }
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
