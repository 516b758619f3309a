// The process-runner contract. src/proc/exec.ts implements it with execa; tests may pass their own.

export interface ExecOptions {
  cwd?: string;
  /** Extra environment, merged over the parent's unless `extendEnv` is false. */
  env?: Record<string, string | undefined>;
  extendEnv?: boolean;
  /** Text written to the child's stdin. */
  input?: string | Uint8Array;
  /** Cancels the process: SIGTERM, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  /** Grace between SIGTERM and SIGKILL. @default 5000 */
  killGraceMs?: number;
  /** Called for each complete output line (already redacted when the caller asked for it). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Keep at most this many bytes of each stream in the result. @default 1 MiB */
  maxBuffer?: number;
  /** Called once the process started, with who it is (pid, process group, start time), so it can be journaled. */
  onSpawn?: (process: SpawnedProcess) => void;
}

export interface ExecResult {
  command: string;
  exitCode: number | undefined;
  /** Signal that ended the process, if any. */
  signal: string | undefined;
  stdout: string;
  stderr: string;
  pid: number | undefined;
}

/** Runs a program without a shell (argv form); never throws for a non-zero exit. */
export type Exec = (file: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/** A started process as the journal records it: enough to recognise it (and its group) after a crash. */
export interface SpawnedProcess {
  pid: number;
  pgid: number;
  startTime?: string;
  bootId?: string;
  host: string;
}
