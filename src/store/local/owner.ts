// owner.json beside a journal while a process runs it, created exclusively: exactly one process runs a run at a time.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runDirFor } from './paths.js';
import { UsageError } from '../../errors.js';
import { checkIdentity, identify } from '../../proc/index.js';
import type { ClaimOptions, RunClaim, RunOwner } from '../index.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './modes.js';

export type { ClaimOptions, RunClaim, RunOwner };

/** A claim whose release is synchronous (the local store's; RunStore.claim wraps it). */
export interface LocalClaim extends RunClaim {
  release(): void;
}

function ownerPath(stateDir: string, runId: string): string {
  return join(runDirFor(stateDir, runId), 'owner.json');
}

/**
 * Claims `runId` for this process: owner.json is created with O_EXCL, so of two claimants exactly one wins. A stale
 * owner (its process is gone) is replaced under a short mkdir mutex, so two claimants racing to replace it cannot both
 * succeed. Throws UsageError (exit 2) naming the owner when the run is held.
 */
export function claimRun(stateDir: string, runId: string, options: ClaimOptions = {}): LocalClaim {
  mkdirSync(runDirFor(stateDir, runId), { recursive: true, mode: PRIVATE_DIR_MODE });
  return claimOwnerFile(ownerPath(stateDir, runId), `run ${runId}`, options);
}

/** claimRun's protocol on any owner file (a fleet run's, beside its record); `what` names it in messages. */
export function claimOwnerFile(path: string, what: string, options: ClaimOptions = {}): LocalClaim {
  const owner: RunOwner = { ...identify(process.pid), since: (options.now ?? (() => new Date().toISOString()))() };
  const text = `${JSON.stringify(owner)}\n`;
  for (let tries = 0; tries < 50; tries++) {
    if (createExclusive(path, text)) return { owner, release: releaser(path, text) };
    const current = readOwner(path);
    if (current === undefined && !existsLater(path)) continue; // released between our create and our read
    if (current && !isStale(current, options.force ?? false)) throw new UsageError(describeHeld(what, current));
    if (replaceStale(path, current, text)) return { owner, release: releaser(path, text) };
    sleepMs(20);
  }
  throw new UsageError(`${what}: could not claim ${path} (another process keeps changing it)`);
}

/** The recorded owner, or undefined when there is none (or it is unreadable). */
export function readOwner(path: string): RunOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunOwner;
  } catch {
    return undefined;
  }
}

export function readRunOwner(stateDir: string, runId: string): RunOwner | undefined {
  return readOwner(ownerPath(stateDir, runId));
}

/** true when a live process on this host is running `runId` (same pid and start time); an owner left by a killed process does not count. */
export function isRunActive(stateDir: string, runId: string): boolean {
  return isOwnerAlive(ownerPath(stateDir, runId));
}

/** true when the owner file names a live process on this host. */
export function isOwnerAlive(path: string): boolean {
  const owner = readOwner(path);
  return owner !== undefined && checkIdentity(owner) === 'alive';
}

export function describeOwner(owner: RunOwner): string {
  return `pid ${owner.pid} on host ${owner.host} since ${owner.since}`;
}

function describeHeld(what: string, owner: RunOwner): string {
  const check = checkIdentity(owner);
  if (check === 'unknown') {
    return `${what} is claimed by ${describeOwner(owner)}, which cannot be checked from here; ` +
      'if that process is gone, pass --force to take the run over';
  }
  return `${what} is still running (${describeOwner(owner)}); wait for it to end or stop it first`;
}

// Another host's owner cannot be checked: only --force takes it over.
function isStale(owner: RunOwner, force: boolean): boolean {
  const check = checkIdentity(owner);
  return check === 'gone' || (check === 'unknown' && force);
}

function createExclusive(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Replaces a stale owner.json while holding `owner.json.lock` (a directory: mkdir is atomic). The file is re-read
 * under the mutex, so a claimant that lost the race sees the winner's fresh owner rather than the stale one.
 */
function replaceStale(path: string, seen: RunOwner | undefined, text: string): boolean {
  const mutex = `${path}.lock`;
  try {
    mkdirSync(mutex, { mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    breakAbandonedMutex(mutex);
    return false;
  }
  try {
    const now = readOwner(path);
    if (JSON.stringify(now) !== JSON.stringify(seen)) return false; // someone else replaced it meanwhile: look again
    if (seen === undefined && !isOld(path)) return false; // a claimant between create and write: give it time
    const temp = `${path}.${process.pid}.tmp`;
    const fd = openSync(temp, 'w', PRIVATE_FILE_MODE);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    return true;
  } finally {
    rmdirSync(mutex);
  }
}

const ABANDONED_MS = 10_000;

// A claimant killed while holding the mutex must not block the run forever: a mutex this old is abandoned.
function breakAbandonedMutex(mutex: string): void {
  if (isOld(mutex)) rmSync(mutex, { recursive: true, force: true });
}

function isOld(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ABANDONED_MS;
  } catch {
    return false;
  }
}

function existsLater(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function releaser(path: string, text: string): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // Only our own claim: after a --force takeover owner.json belongs to someone else.
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    if (current === text) rmSync(path, { force: true });
  };
}

// Claims are synchronous (they run once per run); waits between tries are a few ms.
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
