// Spawns the real CLI from source (`node --import tsx src/cli/main.ts …`) so end-to-end tests need no build.

import { execa, type ResultPromise } from 'execa';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

/** Repository root (two levels above this file). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Absolute path of the CLI entry point. */
export const cliEntry = path.join(repoRoot, 'src/cli/main.ts');
// An absolute URL so `--import` works from any cwd (a temp dir has no node_modules/tsx).
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliOptions {
  /** Extra environment, merged over the parent's. NO_COLOR and CI are set unless overridden. */
  env?: Record<string, string | undefined>;
  /** Working directory. @default repoRoot */
  cwd?: string;
  /** Text written to stdin (stdin is closed either way, so the CLI never sees a TTY). */
  input?: string;
  /** Kill the CLI after this many ms. @default 60000 */
  timeout?: number;
  /**
   * Run inside a pseudo-terminal (util-linux `script`), so stdin/stdout are TTYs: live tree, y/N prompts.
   * stdin stays open for `write()`. Output then has terminal escapes and CRLF line ends.
   */
  tty?: boolean;
}

export interface CliResult {
  exitCode: number | undefined;
  /** Signal that killed the CLI, if any. */
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

function spawnCli(args: readonly string[], options: CliOptions): ResultPromise {
  if (options.tty) {
    const command = [process.execPath, '--import', tsxLoader, cliEntry, ...args].map(shellQuote).join(' ');
    return execa('script', ['-qefc', `stty cols 120 rows 40; exec ${command}`, '/dev/null'], {
      cwd: options.cwd ?? repoRoot,
      env: { TERM: 'xterm-256color', ...options.env },
      stdin: 'pipe',
      timeout: options.timeout ?? 60_000,
      reject: false,
      stripFinalNewline: false,
    });
  }
  return execa(process.execPath, ['--import', tsxLoader, cliEntry, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    input: options.input ?? '',
    timeout: options.timeout ?? 60_000,
    reject: false,
    stripFinalNewline: false,
    all: false,
  });
}

function toResult(r: { exitCode?: number; signal?: string; stdout: unknown; stderr: unknown; timedOut: boolean }): CliResult {
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: r.timedOut,
  };
}

/** Runs `opsbook ARGS…` to completion and returns its exit code and output (never throws on non-zero). */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return toResult(await spawnCli(args, options));
}

export interface RunningCli {
  pid: number | undefined;
  /** Send a signal to the CLI process (e.g. 'SIGINT' to simulate Ctrl-C). */
  kill(signal: NodeJS.Signals): void;
  /** Type into the CLI's stdin (with `tty: true`, as keystrokes: end lines with '\r'). */
  write(text: string): void;
  /** Resolves once stdout+stderr so far match `pattern`; rejects if the CLI exits first. */
  waitForOutput(pattern: RegExp | string): Promise<string>;
  result: Promise<CliResult>;
}

/** Starts `opsbook ARGS…` in the background, for tests that interact with it (signals, waiting for a line). */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawnCli(args, options);
  let seen = '';
  const waiters: { test: (s: string) => boolean; resolve: (s: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.test(seen)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(seen);
      }
    }
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.toString();
    check();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const result = child.then(toResult);
  void result.then(() => child.stdin?.destroy());
  void result.then((r) => {
    for (const w of waiters.splice(0)) {
      w.reject(new Error(`CLI exited (${r.exitCode ?? r.signal}) before the expected output; got:\n${seen}`));
    }
  });
  return {
    pid: child.pid,
    kill: (signal) => void child.kill(signal),
    write: (text) => void child.stdin?.write(text),
    waitForOutput(pattern) {
      const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
      if (test(seen)) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve, reject });
      });
    },
    result,
  };
}
