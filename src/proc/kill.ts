// Ends a whole process group: SIGTERM, then SIGKILL once the grace period runs out, so no grandchild survives.

import { readdirSync } from 'node:fs';
import { readProcStat } from './proc-stat.js';

/** Process state letter from /proc (Linux), or undefined when /proc cannot tell. */
function procState(pid: number): string | undefined {
  return readProcStat(pid)?.[0];
}

/** true while process `pid` exists and is not a zombie waiting to be reaped. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procState(pid) !== 'Z';
}

/** true while any live (non-zombie) process of group `pgid` exists. Zombies count as gone: they hold no resources. */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return hasLiveGroupMember(pgid);
}

// Linux only: a reaper that is slow to collect zombies must not make us wait out the whole grace period.
function hasLiveGroupMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const fields = readProcStat(entry); // undefined: the process ended while we looked
    if (fields && Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

const POLL_MS = 20;

/**
 * Sends SIGTERM to the group, waits up to `graceMs` (real time: processes are real) for it to exit, then SIGKILLs it.
 * Resolves once the group is gone, or shortly after SIGKILL.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const termDeadline = Date.now() + graceMs;
  while (isGroupAlive(pgid) && Date.now() < termDeadline) await delay(POLL_MS);
  if (!isGroupAlive(pgid)) return;
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 1000;
  while (isGroupAlive(pgid) && Date.now() < killDeadline) await delay(POLL_MS);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
