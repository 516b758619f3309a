// What a step needs from a machine it acts on directly (not through the API): commands and files.

import type { Exec, ExecResult } from '../proc/types.js';

/** A node parameter after normalisation: every default filled. */
export interface NodeSpec {
  /** Display name (defaults to the host, or `localhost`). */
  name: string;
  transport: 'local' | 'ssh';
  /** Run every command through `sudo -n`. @default false */
  sudo: boolean;
  /** ssh only. */
  host: string;
  /** ssh only; empty = the ssh client's default. */
  user: string;
  /** @default 22 */
  port: number;
  identityFile: string | undefined;
  knownHostsFile: string | undefined;
  /** `yes` refuses unknown and changed keys; `accept-new` records unknown ones, still refuses changed keys. @default 'yes' */
  strictHostKeyChecking: 'yes' | 'accept-new';
  /** Seconds. @default 10 */
  connectTimeout: number;
}

export interface RunOptions {
  input?: string | Uint8Array;
  signal?: AbortSignal;
  /** Real milliseconds before the command is killed (a `timeout` error). */
  timeoutMs?: number;
}

/** One file read through a transport; `data` undefined when the file does not exist or cannot be read. */
export interface ReadResult {
  path: string;
  data: Buffer | undefined;
  /** Why `data` is missing: `missing` (no such file) or `unreadable` (exists but not a readable file). */
  problem?: 'missing' | 'unreadable';
}

/** Opens a transport for a node: the node's own (local/ssh) by default; `rehearse` gives the simulation's. */
export type NodeOpener = (spec: NodeSpec, exec: Exec) => NodeTransport;

/** Commands and files on one machine. Every method honours `signal`; failures are StepErrors. */
export interface NodeTransport {
  readonly spec: NodeSpec;
  /** Runs argv (no local shell); never throws for a non-zero exit, throws on transport failures. */
  run(argv: readonly string[], options?: RunOptions): Promise<ExecResult>;
  /** Like run(), but a non-zero exit becomes a StepError naming the command and its stderr. */
  runChecked(argv: readonly string[], options?: RunOptions): Promise<ExecResult>;
  readFiles(paths: readonly string[], signal?: AbortSignal): Promise<ReadResult[]>;
  /** Throws a permanent StepError when the file is missing or unreadable. */
  readFile(path: string, signal?: AbortSignal): Promise<Buffer>;
  /** Atomic: written to a temp file beside `path`, then renamed over it (mode kept, or `mode`). */
  writeFile(path: string, data: string | Uint8Array, options?: { mode?: number; signal?: AbortSignal }): Promise<void>;
  exists(path: string, signal?: AbortSignal): Promise<boolean>;
  mkdir(path: string, signal?: AbortSignal): Promise<void>;
  /** Entry names (not paths) in a directory, sorted. */
  list(dir: string, signal?: AbortSignal): Promise<string[]>;
  remove(path: string, signal?: AbortSignal): Promise<void>;
  /** Releases shared connections (the ssh master). Safe to call twice. */
  close(): Promise<void>;
}
