// Input values for a run: --set, --values, environment and files, typed by each input's declaration.

import { readFile as readFileFromDisk } from 'node:fs/promises';
import { RunbookError, type Diagnostic } from '../errors.js';
import type { InputSpec, Runbook } from './types.js';
import { coerceInputText, coerceInputValue, type Coerced } from './input-values.js';
import { formatSuggestion } from '../schema/index.js';
import { MIN_SECRET_LENGTH } from '../secrets/index.js';

export interface ResolveInputsOptions {
  /** `name=value` pairs from --set, typed by the declared type. */
  set?: string[];
  /** Values from a --values file (YAML/JSON), already parsed. */
  values?: Record<string, unknown>;
  /** Name of the --values file, for messages. */
  valuesFile?: string;
  /** Environment for `fromEnv` (the CLI passes process.env). @default {} */
  env?: Record<string, string | undefined>;
  /** Reads `fromFile` sources. @default fs.readFile as UTF-8 */
  readFile?: (path: string) => Promise<string>;
}

export interface ResolvedInputs {
  /** Every input with a value, secrets included (never journal `secretNames`). */
  values: Record<string, unknown>;
  secretNames: string[];
  /** Secret values to redact everywhere. */
  secretValues: string[];
}

/**
 * Resolves every input: --set, then --values, then fromEnv, then fromFile, then the default.
 * Throws RunbookError listing all missing and mistyped inputs before anything runs.
 */
export async function resolveInputs(runbook: Runbook, options: ResolveInputsOptions = {}): Promise<ResolvedInputs> {
  const env = options.env ?? {};
  const readFile = options.readFile ?? ((path: string) => readFileFromDisk(path, 'utf8'));
  const diagnostics: Diagnostic[] = [];
  const fail = (spec: InputSpec | undefined, path: string, message: string): void => {
    const pos = spec?.position ?? { line: 1, col: 1 };
    diagnostics.push({ file: runbook.file, line: pos.line, col: pos.col, path, message });
  };
  const fromSet = parseSetFlags(options.set ?? [], runbook, fail);
  for (const name of Object.keys(options.values ?? {})) {
    if (!runbook.inputs[name]) fail(undefined, `spec.inputs`, `${options.valuesFile ?? '--values'}: unknown input '${name}'${hintFor(name, runbook)}`);
  }
  const values: Record<string, unknown> = {};
  const secretNames: string[] = [];
  const secretValues: string[] = [];
  for (const spec of Object.values(runbook.inputs)) {
    const path = `spec.inputs.${spec.name}`;
    let result: Coerced | undefined;
    let source = '';
    if (fromSet.has(spec.name)) {
      [result, source] = [coerceInputText(spec, fromSet.get(spec.name)!), `--set ${spec.name}`];
    } else if (options.values && spec.name in options.values) {
      [result, source] = [coerceInputValue(spec, options.values[spec.name]), options.valuesFile ?? '--values'];
    } else if (spec.fromEnv !== undefined && env[spec.fromEnv] !== undefined) {
      [result, source] = [coerceInputText(spec, env[spec.fromEnv]!), `$${spec.fromEnv}`];
    } else if (spec.fromFile !== undefined) {
      source = spec.fromFile;
      try {
        result = coerceInputText(spec, (await readFile(spec.fromFile)).replace(/\r?\n$/, ''));
      } catch (error) {
        fail(spec, path, `cannot read ${spec.fromFile}: ${(error as Error).message}`);
        continue;
      }
    } else if ('default' in spec) {
      result = { ok: true, value: structuredClone(spec.default) };
    }
    if (!result) {
      fail(spec, path, describeMissing(spec));
      continue;
    }
    if (!result.ok) {
      // never echo a secret's value back
      const message = spec.type === 'secret' ? 'is not a valid secret' : result.message;
      fail(spec, path, `${source}: ${message}`);
      continue;
    }
    if (spec.type === 'secret' && typeof result.value === 'string' && result.value !== '' && result.value.length < MIN_SECRET_LENGTH) {
      fail(spec, path, `${source}: ${describeShortSecret(result.value)}`);
      continue;
    }
    values[spec.name] = result.value;
    if (spec.type === 'secret') {
      secretNames.push(spec.name);
      if (typeof result.value === 'string' && result.value !== '') secretValues.push(result.value);
    }
  }
  if (diagnostics.length > 0) {
    const count = diagnostics.length;
    throw new RunbookError(`${runbook.file}: ${count} input problem${count === 1 ? '' : 's'}`, diagnostics);
  }
  return { values, secretNames, secretValues };
}

function parseSetFlags(flags: string[], runbook: Runbook, fail: (spec: InputSpec | undefined, path: string, message: string) => void): Map<string, string> {
  const out = new Map<string, string>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) {
      fail(undefined, '--set', `expected name=value, got an argument without '=' (not shown: it may be a secret)`);
      continue;
    }
    const name = flag.slice(0, eq);
    const spec = runbook.inputs[name];
    if (!spec) fail(undefined, '--set', `unknown input '${name}'${hintFor(name, runbook)}`);
    else if (spec.type === 'secret') fail(spec, `spec.inputs.${name}`, describeSecretOnCommandLine(spec));
    else out.set(name, flag.slice(eq + 1));
  }
  return out;
}

function hintFor(name: string, runbook: Runbook): string {
  const names = Object.keys(runbook.inputs);
  return formatSuggestion(name, names) || (names.length ? ` (inputs: ${names.join(', ')})` : ' (the runbook declares no inputs)');
}

// A command line is kept in the shell history and shown to every user by `ps`: no place for a secret.
function describeSecretOnCommandLine(spec: InputSpec): string {
  return `--set cannot carry a secret (it would stay in the shell history and show in the process list): ${listSecretSources(spec, 'leave it out on a terminal')}`;
}

// Its length, never its value; too short to be masked without masking ordinary words with it.
function describeShortSecret(value: string): string {
  return `a secret must be at least ${MIN_SECRET_LENGTH} characters long (got ${value.length}): a shorter value cannot be masked in output and journals`;
}

// The ways to give a secret that keep it off the command line; `prompt` says how to get asked for it.
function listSecretSources(spec: InputSpec, prompt: string): string {
  const ways = [
    ...(spec.fromEnv ? [`set $${spec.fromEnv}`] : []),
    ...(spec.fromFile ? [`write it to ${spec.fromFile}`] : []),
    'put it in a --values FILE',
    `or ${prompt} to be asked for it`,
  ];
  return ways.join(', ');
}

function describeMissing(spec: InputSpec): string {
  if (spec.type === 'secret') return `input '${spec.name}' (secret) is required and has no value: ${listSecretSources(spec, 'run on a terminal')}`;
  const ways = [`--set ${spec.name}=...`, '--values FILE'];
  if (spec.fromEnv) ways.unshift(`$${spec.fromEnv}`);
  return `input '${spec.name}' (${spec.type}) is required and has no value: set ${ways.join(' or ')}`;
}
