// Who a process is, beyond its pid: pids are reused, so a pid is only "the same process" with its start time and boot.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { readProcStat } from './proc-stat.js';

/** Enough to recognise one process later, even from another opsbook process on the same machine. */
export interface ProcessIdentity {
  pid: number;
  /** /proc/<pid>/stat field 22 (clock ticks since boot); undefined where /proc cannot tell. */
  startTime?: string;
  /** /proc/sys/kernel/random/boot_id: start times only compare within one boot. */
  bootId?: string;
  host: string;
}

let cachedBootId: string | undefined | null = null;

export function readBootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBootId = undefined;
    }
  }
  return cachedBootId;
}

/** Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces and parentheses). */
export function readStartTime(pid: number): string | undefined {
  return readProcStat(pid)?.[19];
}

export function identify(pid: number): ProcessIdentity {
  const startTime = readStartTime(pid);
  const bootId = readBootId();
  return { pid, ...(startTime !== undefined ? { startTime } : {}), ...(bootId !== undefined ? { bootId } : {}), host: hostname() };
}

/**
 * 'alive': that very process still runs here; 'gone': it ended (or the machine rebooted, or its pid now belongs to
 * another process); 'unknown': it cannot be checked from here (another host, or no start time recorded).
 */
export type IdentityCheck = 'alive' | 'gone' | 'unknown';

export function checkIdentity(identity: ProcessIdentity): IdentityCheck {
  if (identity.host !== hostname()) return 'unknown';
  const bootId = readBootId();
  if (identity.bootId !== undefined && bootId !== undefined && identity.bootId !== bootId) return 'gone';
  if (identity.startTime === undefined) return isMissing(identity.pid) ? 'gone' : 'unknown';
  const now = readStartTime(identity.pid);
  if (now === undefined) return isMissing(identity.pid) ? 'gone' : 'unknown';
  return now === identity.startTime && !isZombie(identity.pid) ? 'alive' : 'gone';
}

function isZombie(pid: number): boolean {
  return readProcStat(pid)?.[0] === 'Z';
}

// No /proc entry: gone, unless /proc itself is missing (then we cannot tell).
function isMissing(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  return false;
}
