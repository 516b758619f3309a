// The flags shared by every command, and their resolution into real values (env read here only).

import { InvalidArgumentError, Option, type Command } from 'commander';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { OutputMode } from '../ui/renderer.js';

/** Raw values commander hands to actions for the common flags. */
export interface CommonFlags {
  kubeconfig?: string;
  context?: string;
  stateDir?: string;
  /** `kubernetes://NAMESPACE`: runs kept in the cluster instead of the state directory. */
  state?: string;
  set: string[];
  values?: string;
  concurrency?: number;
  output?: OutputMode;
  color: boolean;
  approve: string[];
  /** kubectl's --as: the Kubernetes user to act as (Impersonate-User). */
  as?: string;
  /** kubectl's --as-group (repeatable, needs --as). */
  asGroup: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`must be a whole number ≥ 1 (got ${value})`);
  return n;
}

/** The common flags by name (the CommonFlags key each one sets). */
export type CommonFlagName = keyof CommonFlags;

export const COMMON_FLAG_NAMES: readonly CommonFlagName[] = ['kubeconfig', 'context', 'stateDir', 'state', 'set', 'values', 'concurrency', 'output', 'color', 'approve', 'as', 'asGroup'];

const DEFAULT_OUTPUT_DESCRIPTION = 'tty (live tree), plain (timestamped lines) or json (NDJSON events); default tty on a terminal, else plain';

function createCommonOption(name: CommonFlagName, outputDescription: string): Option {
  switch (name) {
    case 'kubeconfig':
      return new Option('--kubeconfig <path>', 'kubeconfig file (else $KUBECONFIG, else ~/.kube/config)');
    case 'context':
      return new Option('--context <name>', 'kubeconfig context to use (else its current-context)');
    case 'stateDir':
      return new Option('--state-dir <dir>', 'where run journals live (else $OPSBOOK_STATE_DIR, else .opsbook/)');
    case 'state':
      return new Option('--state <location>', 'where runs are kept: kubernetes://NAMESPACE keeps them in that namespace of the --kubeconfig/--context cluster (else $OPSBOOK_STATE, else the state directory)');
    case 'set':
      return new Option('--set <name=value>', 'set an input, typed by its declared type (repeatable)').argParser(collect).default([]);
    case 'values':
      return new Option('--values <file>', 'YAML or JSON file of input values');
    case 'concurrency':
      return new Option('--concurrency <n>', 'steps running at once (overrides spec.concurrency)').argParser(parsePositiveInt);
    case 'output':
      return new Option('--output <mode>', outputDescription).choices(['tty', 'plain', 'json']);
    case 'color':
      return new Option('--no-color', 'disable colours');
    case 'approve':
      return new Option('--approve <step-id>', 'pre-approve a manual gate (repeatable)').argParser(collect).default([]);
    case 'as':
      return new Option('--as <user>', 'act as this Kubernetes user, as kubectl --as (the kubeconfig identity must be allowed to impersonate)');
    case 'asGroup':
      return new Option('--as-group <group>', 'with --as: act as a member of this group (repeatable), as kubectl --as-group').argParser(collect).default([]);
  }
}

/**
 * Adds every common flag, so one set of flags works with every command (a CI wrapper passes the same ones to
 * validate, plan and run). Flags the command has no use for are accepted, checked, but hidden from its help.
 */
export function addCommonOptions(
  command: Command,
  used: readonly CommonFlagName[],
  outputDescription = DEFAULT_OUTPUT_DESCRIPTION,
): Command {
  for (const name of COMMON_FLAG_NAMES) {
    const option = createCommonOption(name, outputDescription);
    command.addOption(used.includes(name) ? option : option.hideHelp());
  }
  return command;
}

/** Adds the input flags (`--set`, `--values`). */
export function addInputOptions(command: Command): Command {
  return command.addOption(createCommonOption('set', '')).addOption(createCommonOption('values', ''));
}

/** Adds kubectl's impersonation flags (`--as`, `--as-group`), for commands that define their own flags. */
export function addImpersonationOptions(command: Command): Command {
  return command.addOption(createCommonOption('as', '')).addOption(createCommonOption('asGroup', ''));
}

/** Adds `--output` and `--no-color`. */
export function addOutputOptions(command: Command, description = DEFAULT_OUTPUT_DESCRIPTION): Command {
  return command.addOption(createCommonOption('output', description)).addOption(createCommonOption('color', description));
}

/** Adds every flag a run needs: cluster, state, inputs, concurrency, output, approvals. */
export function addRunOptions(command: Command): Command {
  return addCommonOptions(command, COMMON_FLAG_NAMES);
}

/** The impersonation the Kubernetes client applies for --as/--as-group; undefined when neither is given. */
export function impersonationOf(flags: { as?: string; asGroup?: string[] }): { user?: string; groups: string[] } | undefined {
  const groups = flags.asGroup ?? [];
  if (groups.length > 0 && !flags.as) throw new UsageError('--as-group needs --as: groups are impersonated only together with a user, as kubectl requires');
  return flags.as || groups.length > 0 ? { ...(flags.as ? { user: flags.as } : {}), groups } : undefined;
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
