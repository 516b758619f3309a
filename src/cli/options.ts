// The flags shared by run, resume, plan and rehearse, and their resolution into real values (env read here only).

import { InvalidArgumentError, Option, type Command } from 'commander';
import path from 'node:path';
import type { OutputMode } from '../ui/renderer.js';

/** Raw values commander hands to actions for the common flags. */
export interface CommonFlags {
  kubeconfig?: string;
  context?: string;
  stateDir?: string;
  set: string[];
  values?: string;
  concurrency?: number;
  output?: OutputMode;
  color: boolean;
  approve: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a whole number ≥ 1 (got ${value})`);
  return n;
}

/** Adds the cluster flags (`--kubeconfig`, `--context`). */
export function addClusterOptions(command: Command): Command {
  return command
    .option('--kubeconfig <path>', 'kubeconfig file (else $KUBECONFIG, else ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context to use (else its current-context)');
}

/** Adds `--output` and `--no-color`. */
export function addOutputOptions(
  command: Command,
  description = 'tty (live tree), plain (timestamped lines) or json (NDJSON events); default tty on a terminal, else plain',
): Command {
  return command
    .addOption(new Option('--output <mode>', description).choices(['tty', 'plain', 'json']))
    .option('--no-color', 'disable colours');
}

/** Adds the input flags (`--set`, `--values`). */
export function addInputOptions(command: Command): Command {
  return command
    .option('--set <name=value>', 'set an input, typed by its declared type (repeatable)', collect, [])
    .option('--values <file>', 'YAML or JSON file of input values');
}

/** Adds every flag a run needs: cluster, state, inputs, concurrency, output, approvals. */
export function addRunOptions(command: Command): Command {
  addClusterOptions(command);
  command.option('--state-dir <dir>', 'where run journals live (else $OPSBOOK_STATE_DIR, else .opsbook/)');
  addInputOptions(command);
  command.option('--concurrency <n>', 'steps running at once (overrides spec.concurrency)', parsePositiveInt);
  addOutputOptions(command);
  return command.option('--approve <step-id>', 'pre-approve a manual gate (repeatable)', collect, []);
}

/** State directory precedence: flag, $OPSBOOK_STATE_DIR, .opsbook/ in the working directory. */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  return path.resolve(cwd, flag ?? env.OPSBOOK_STATE_DIR ?? '.opsbook');
}

/** Output mode: the flag, else a live tree on a terminal and plain lines elsewhere (CI, pipes). */
export function resolveOutputMode(flag: OutputMode | undefined, stdoutIsTTY: boolean | undefined): OutputMode {
  return flag ?? (stdoutIsTTY ? 'tty' : 'plain');
}

/** Colours on unless --no-color, NO_COLOR, or the output is not a terminal. */
export function resolveColor(flag: boolean, env: NodeJS.ProcessEnv, stdoutIsTTY: boolean | undefined): boolean {
  if (!flag || env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return Boolean(stdoutIsTTY);
}
