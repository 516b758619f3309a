// The Exec contract implemented with execa (the only module importing it). Each process leads its own group.
// execa spawns, resolves the program and reports how the process ended; three things it offers are done here instead:
// - killing: forceKillAfterDelay/cancelSignal signal the child's pid only, and a bash step's grandchildren (sleep,
//   kubectl) would outlive it; we TERM then KILL the whole process group (kill.ts) and register it with the
//   parent-death supervisor (supervisor.ts), which execa's `cleanup` cannot do after a kill -9 of opsbook;
// - lines and maxBuffer: execa's `lines` splits only the buffered result and its maxBuffer fails the call and keeps the
//   start; steps need each line as it comes (live view, journal) and the *tail* of a large output (lines.ts);
// so buffering is off (`buffer: false`) and nothing is collected twice.

import { statSync } from 'node:fs';
import { execa, type Options, type Result } from 'execa';
import { StepError } from '../errors.js';
import type { Exec, ExecOptions, ExecResult } from './types.js';
import { createLineCollector } from './lines.js';
import { trackGroup } from './groups.js';
import { identify } from './identity.js';
import { superviseGroup } from './supervisor.js';
import { terminateGroup } from './kill.js';

const DEFAULT_GRACE_MS = 5000;
const DEFAULT_MAX_BUFFER = 1024 * 1024;

/**
 * Runs `file args` without a shell. Never throws for a non-zero exit; throws a permanent StepError when the program
 * cannot be started. On `signal` abort, the whole process group gets SIGTERM, then SIGKILL after `killGraceMs`.
 */
export const execProcess: Exec = async (file, args, options = {}) => {
  const command = [file, ...args].join(' ');
  if (options.signal?.aborted) throw options.signal.reason;
  // Node reports a missing cwd as ENOENT of the program; say what is really missing.
  if (options.cwd !== undefined && !isDirectory(options.cwd)) {
    throw new StepError(`cannot start ${file}: working directory ${options.cwd} does not exist`, { errorClass: 'permanent' });
  }
  const maxBuffer = options.maxBuffer ?? DEFAULT_MAX_BUFFER;
  const onLine = options.onLine;
  const stdout = createLineCollector(onLine && ((line) => onLine('stdout', line)), maxBuffer);
  const stderr = createLineCollector(onLine && ((line) => onLine('stderr', line)), maxBuffer);

  const execaOptions: Options = {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.extendEnv ?? true,
    reject: false,
    buffer: false,
    detached: true,
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  };
  const subprocess = execa(file, [...args], execaOptions);

  subprocess.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  subprocess.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

  const killing = watchAbort(subprocess.pid, options);
  const untrack = subprocess.pid === undefined ? () => {} : trackProcess(subprocess.pid, options);
  try {
    const result = await subprocess;
    await killing.done();
    return toResult(file, command, result, subprocess.pid, stdout.end(), stderr.end());
  } finally {
    untrack();
    killing.dispose();
  }
};

/** Registers a started process everywhere that must stop it if we die: our exit hook, the supervisor, the journal. */
function trackProcess(pid: number, options: ExecOptions): () => void {
  const untrack = trackGroup(pid);
  const unsupervise = superviseGroup(pid);
  options.onSpawn?.({ ...identify(pid), pgid: pid });
  return () => {
    untrack();
    unsupervise();
  };
}

interface AbortWatch {
  /** Waits for a started kill sequence to finish, so no process of the group outlives the call. */
  done(): Promise<void>;
  dispose(): void;
}

function watchAbort(pid: number | undefined, options: ExecOptions): AbortWatch {
  let terminating: Promise<void> | undefined;
  const onAbort = () => {
    if (pid !== undefined) terminating ??= terminateGroup(pid, options.killGraceMs ?? DEFAULT_GRACE_MS);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    done: async () => {
      if (terminating) await terminating;
    },
    dispose: () => options.signal?.removeEventListener('abort', onAbort),
  };
}

/** With `reject: false` a failure is the same Result shape (cause, originalMessage); a spawn failure has no exit. */
function toResult(file: string, command: string, result: Result, pid: number | undefined, out: string, err: string): ExecResult {
  const spawnError = result.cause as NodeJS.ErrnoException | undefined;
  if (pid === undefined || (result.exitCode === undefined && result.signal === undefined && spawnError?.code)) {
    const reason = spawnError?.code === 'ENOENT' ? 'command not found' : (spawnError?.message ?? result.originalMessage);
    throw new StepError(`cannot start ${file}: ${reason}`, { errorClass: 'permanent', cause: spawnError });
  }
  return {
    command,
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: out,
    stderr: err,
    pid,
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
