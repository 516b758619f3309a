// `opsbook rehearse --all [DIR]`: rehearse every runbook of DIR on its paired scenario, one line per runbook.

import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../errors.js';
import { superviseGroup } from '../../proc/index.js';
import { packagePath } from '../../paths.js';
import { escapeControl, escapeJsonControl } from '../../ui/escape.js';
import { exitCodeForSignal } from '../exit.js';
import { installInterruptHandler } from '../interrupt.js';
import type { CliIo } from '../io.js';
import { resolveColor, resolveOutputMode } from '../options.js';
import { loadRehearsals, type Rehearsal } from '../rehearsals.js';
import type { OutputMode } from '../../ui/renderer.js';

export interface RehearseAllFlags {
  /** `true` for the bundled runbooks, or a directory. */
  all: true | string;
  timeScale?: number;
  concurrency?: number;
  approve: string[];
  output?: OutputMode;
  color: boolean;
  /** Rehearsals at once (each a process of its own). @default min(2, cores) */
  jobs?: number;
}

/** The outcome of one rehearsal: what its line and its JSON entry say. */
export interface RehearsalResult {
  runbook: string;
  scenario: string;
  status: 'succeeded' | 'failed';
  exitCode: number;
  durationMs: number;
  error?: string;
  /** Set when the pairing expects the run to fail (`expectFailure`): the text its error must contain. */
  expectedFailure?: string;
  /** The outcome the pairing asks for: succeeded, or failed with the expected error. */
  asExpected: boolean;
}

/** Ctrl-C (or SIGTERM, SIGHUP): no new rehearsal starts, and running ones get the same signal. */
interface Stop {
  abort: AbortSignal;
  signal: () => NodeJS.Signals;
}

/** How to start this same CLI again: from the bundle (dist/bundle/opsbook.js) or from src/ under tsx (tests). */
function selfCommand(): { execPath: string; args: string[] } {
  const here = fileURLToPath(import.meta.url);
  // From src/ (or tsc's dist/) this file is cli/commands/rehearse-all.*; in the bundle it is a chunk beside opsbook.js.
  const entry = path.basename(path.dirname(here)) === 'commands'
    ? path.join(path.dirname(here), '..', `main${path.extname(here)}`)
    : path.join(path.dirname(here), 'opsbook.js');
  // execArgv carries tsx's loader when running from src/, and the user's node flags otherwise.
  return { execPath: process.execPath, args: [...process.execArgv, entry] };
}

/** The first line saying why a rehearsal failed: the run's error, else what the CLI printed on stderr. */
function firstErrorLine(report: { outcome?: { error?: string } } | undefined, stderr: string, exitCode: number): string {
  const candidates = [report?.outcome?.error, ...stderr.split('\n').filter((l) => !l.startsWith('rehearse: secret input'))];
  const lines = candidates.flatMap((text) => (text ?? '').split('\n')).map((l) => l.trim()).filter((l) => l !== '');
  // `command exited with code 7:` introduces what the command said: the line after it is the reason.
  const [first, second] = lines;
  if (first === undefined) return `rehearsal exited ${exitCode} without saying why`;
  return first.endsWith(':') && second !== undefined ? `${first} ${second}` : first;
}

/** Runs one rehearsal in a process of its own (own simulation, own temporary state directory), output captured. */
async function rehearseOne(rehearsal: Rehearsal, flags: RehearseAllFlags, io: CliIo, now: () => number, stop: Stop): Promise<RehearsalResult> {
  const self = selfCommand();
  const args = [
    ...self.args, 'rehearse', rehearsal.runbook, '--scenario', rehearsal.scenario, '--output', 'json',
    ...[...rehearsal.approve, ...flags.approve].flatMap((id) => ['--approve', id]),
    ...((flags.timeScale ?? rehearsal.timeScale) ? ['--time-scale', String(flags.timeScale ?? rehearsal.timeScale)] : []),
    ...(flags.concurrency ? ['--concurrency', String(flags.concurrency)] : []),
  ];
  const started = now();
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    // Its own process group: a Ctrl-C reaches it once, forwarded below, not also from the terminal (a second one stops it at once).
    const child = spawn(self.execPath, args, { cwd: io.cwd, env: io.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // A group of its own also outlives a kill -9 of this process: the supervisor stops it then (src/proc/supervisor.ts).
    const unlist = child.pid === undefined ? () => {} : superviseGroup(child.pid);
    child.on('close', unlist);
    const forward = () => child.kill(stop.signal());
    stop.abort.addEventListener('abort', forward, { once: true });
    child.on('close', () => stop.abort.removeEventListener('abort', forward));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => resolve({ code: 1, stdout: '', stderr: `cannot start ${self.execPath}: ${error.message}` }));
    child.on('close', (exit, signal) =>
      resolve({ code: exit ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') + (signal ? `\nkilled by ${signal}` : '') }),
    );
  });
  let report: { outcome?: { status?: string; error?: string } } | undefined;
  try {
    report = JSON.parse(stdout) as typeof report;
  } catch {
    // No report: the rehearsal stopped before running (invalid runbook or scenario, exit 2); stderr says why.
  }
  const succeeded = code === 0 && report?.outcome?.status === 'succeeded';
  const error = succeeded ? undefined : firstErrorLine(report, stderr, code);
  // An expected failure is the run's own (exit 1 with a report), not a rehearsal that could not start or was interrupted.
  const expected = rehearsal.expectFailure;
  const asExpected = expected === undefined ? succeeded : code === 1 && report?.outcome?.status === 'failed' && error!.includes(expected);
  return {
    runbook: path.basename(rehearsal.runbook).replace(/\.ya?ml$/, ''),
    scenario: path.basename(rehearsal.scenario).replace(/\.ya?ml$/, ''),
    status: succeeded ? 'succeeded' : 'failed',
    exitCode: code,
    durationMs: now() - started,
    ...(error !== undefined ? { error } : {}),
    ...(expected !== undefined ? { expectedFailure: expected } : {}),
    asExpected,
  };
}

/** Runs `tasks` with at most `limit` at once, calling `done` in the tasks' order as soon as each one and those before it finish. */
async function runInOrder<T>(tasks: (() => Promise<T>)[], limit: number, abort: AbortSignal, done: (result: T) => void): Promise<T[]> {
  const results: (T | undefined)[] = new Array(tasks.length);
  const finished: boolean[] = new Array(tasks.length).fill(false);
  let next = 0;
  let reported = 0;
  const worker = async () => {
    while (next < tasks.length && !abort.aborted) {
      const i = next++;
      results[i] = await tasks[i]!();
      finished[i] = true;
      while (reported < tasks.length && finished[reported]) done(results[reported++]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  // Interrupted: the rehearsals never started have no result.
  return tasks.flatMap((_, i) => (finished[i] ? [results[i]!] : []));
}

function formatLine(result: RehearsalResult, widths: { runbook: number; scenario: number }, color: boolean): string {
  const mark = result.asExpected ? '✓' : '✗';
  const painted = color ? `\u001b[${result.asExpected ? 32 : 31}m${mark}\u001b[39m` : mark;
  const text = `${result.runbook.padEnd(widths.runbook)}  ${result.scenario.padEnd(widths.scenario)}  ${(result.durationMs / 1000).toFixed(1)}s`;
  return `${painted} ${escapeControl(`${text}${describeOutcome(result)}`)}`;
}

/** After the time: nothing for an expected success, else what failed and whether the pairing expected it. */
function describeOutcome(result: RehearsalResult): string {
  if (result.expectedFailure === undefined) return result.error ? `  ${result.error}` : '';
  if (result.asExpected) return `  failed as expected: ${result.error}`;
  if (result.status === 'succeeded') return `  succeeded, but the pairing expects it to fail with "${result.expectedFailure}"`;
  return `  failed, but not with the expected "${result.expectedFailure}": ${result.error}`;
}

export async function rehearseAllCommand(flags: RehearseAllFlags, io: CliIo, now: () => number = Date.now): Promise<number> {
  const dir = flags.all === true ? packagePath('runbooks') : path.resolve(io.cwd, flags.all);
  const rehearsals = await loadRehearsals(dir);
  if (rehearsals.length === 0) throw new UsageError(`no rehearsal is listed in ${dir}`);
  const mode = resolveOutputMode(flags.output, io.stdout.isTTY);
  const color = mode !== 'json' && resolveColor(flags.color, io.env, io.stdout.isTTY);
  const widths = {
    runbook: Math.max(...rehearsals.map((r) => path.basename(r.runbook).replace(/\.ya?ml$/, '').length)),
    scenario: Math.max(...rehearsals.map((r) => path.basename(r.scenario).replace(/\.ya?ml$/, '').length)),
  };
  const controller = new AbortController();
  const interrupt = installInterruptHandler(controller, (text) => io.stderr.write(`${text}\n`));
  try {
    const stop: Stop = { abort: controller.signal, signal: () => interrupt.received() ?? 'SIGINT' };
    const tasks = rehearsals.map((r) => () => rehearseOne(r, flags, io, now, stop));
    const results = await runInOrder(tasks, flags.jobs ?? Math.min(2, availableParallelism()), controller.signal, (result) => {
      if (mode !== 'json') io.stdout.write(`${formatLine(result, widths, color)}\n`);
    });
    if (mode === 'json') io.stdout.write(`${escapeJsonControl(JSON.stringify(results, null, 2))}\n`);
    const received = interrupt.received();
    if (received) return exitCodeForSignal(received);
    return results.every((r) => r.asExpected) ? 0 : 1;
  } finally {
    interrupt.remove();
  }
}
