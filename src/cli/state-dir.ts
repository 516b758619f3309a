// The state directory is checked before a run starts: a file or an unwritable directory there would otherwise end the
// run at its first journal write with a raw errno (exit 1), though nothing ran.

import { mkdirSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE } from '../store/local/modes.js';
import { runsDir } from '../store/local/paths.js';
import { UsageError } from '../errors.js';

/**
 * Creates `STATE/runs` (0700, like every directory opsbook makes; existing ones are left as they are) and proves it
 * writable by creating and removing a directory in it. Throws a UsageError (exit 2) naming the directory.
 */
export function prepareStateDir(stateDir: string): void {
  const runs = runsDir(stateDir);
  try {
    if (statSync(stateDir, { throwIfNoEntry: false })?.isDirectory() === false) {
      throw new UsageError(`state directory ${stateDir} is not a directory`);
    }
    mkdirSync(runs, { recursive: true, mode: PRIVATE_DIR_MODE });
    rmdirSync(mkdtempSync(join(runs, '.writable-')));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`state directory ${stateDir} ${describeStateDirError(error, stateDir)}`, { cause: error });
  }
}

function describeStateDirError(error: unknown, stateDir: string): string {
  const { code } = error as NodeJS.ErrnoException;
  if (code === 'EACCES' || code === 'EPERM') return 'is not writable: permission denied';
  if (code === 'EROFS') return 'is not writable: read-only file system';
  if (code === 'ENOTDIR' || code === 'EEXIST') return `cannot be used: ${findFileInPath(runsDir(stateDir)) ?? 'a part of its path'} is not a directory`;
  return `cannot be used: ${(error as Error).message}`;
}

/** The file standing where a directory of `path` should be (`a/file` of `a/file/state`). */
function findFileInPath(path: string): string | undefined {
  for (let p = path; dirname(p) !== p; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      // not there, or not reachable through a file: look further up
    }
  }
  return undefined;
}
