// Loads a runbook and resolves its inputs from --set, --values, env/file secrets and (on a terminal) prompts.

import path from 'node:path';
import type { Runbook } from '../runbook/types.js';
import type { StepRegistry } from '../steps/registry.js';
import type { CliIo } from './io.js';
import { findMissingSecrets, promptSecrets } from './secrets.js';
import { formatWarning } from './warnings.js';
import { readSecretText } from '../files/read-secret-file.js';

export interface PreparedRun {
  runbook: Runbook;
  registry: StepRegistry;
  inputs: Record<string, unknown>;
  secretValues: string[];
  /** Non-secret input values (what the journal records). */
  publicInputs: Record<string, unknown>;
}

export interface PrepareOptions {
  set: string[];
  /** --values file. */
  valuesFile?: string;
  /** Values from an earlier run (resume): applied under --values and --set. */
  baseValues?: Record<string, unknown>;
  /** Ask for missing secrets on a terminal. @default true */
  promptForSecrets?: boolean;
  /** Suggested values (rehearse: the scenario's `inputs`) for the inputs the runbook declares; under everything else. */
  suggested?: Record<string, unknown>;
  /** Dummy values for secret inputs, by fromEnv variable or input name (rehearse: the scenario's `secrets`); over --values and env. */
  secretStandIns?: Record<string, string>;
}

/** Names given on the command line (`--set name=…`), so a secret set there is not asked for again. */
function namesFromSet(set: string[]): Set<string> {
  return new Set(set.map((s) => s.split('=')[0]!.trim()));
}

export async function prepareRun(file: string, options: PrepareOptions, io: CliIo): Promise<PreparedRun> {
  const [{ loadRunbook, resolveInputs, readValuesFile }, { createStepRegistry }] = await Promise.all([
    import('../runbook/index.js'),
    import('../steps/registry.js'),
  ]);
  const registry = createStepRegistry();
  const runbook = await loadRunbook(file, { registry, onWarning: (w) => io.stderr.write(`${formatWarning(w)}\n`) });
  const fromFile = options.valuesFile ? await readValuesFile(path.resolve(io.cwd, options.valuesFile)) : {};
  // A scenario may suggest inputs of other runbooks too: only the ones this runbook declares apply.
  const suggested = Object.fromEntries(Object.entries(options.suggested ?? {}).filter(([name]) => name in runbook.inputs));
  const values: Record<string, unknown> = { ...suggested, ...options.baseValues, ...fromFile };
  const setNames = namesFromSet(options.set);
  for (const spec of Object.values(runbook.inputs)) {
    if (spec.type !== 'secret' || setNames.has(spec.name)) continue;
    const standIn = (spec.fromEnv !== undefined ? options.secretStandIns?.[spec.fromEnv] : undefined) ?? options.secretStandIns?.[spec.name];
    if (standIn !== undefined) values[spec.name] = standIn;
  }
  const given = new Set([...Object.keys(values), ...namesFromSet(options.set)]);
  if (options.promptForSecrets ?? true) {
    const missing = findMissingSecrets(runbook, io.env, given, io.cwd);
    Object.assign(values, await promptSecrets(missing, io));
  }
  const resolved = await resolveInputs(runbook, {
    set: options.set,
    values,
    valuesFile: options.valuesFile,
    env: io.env,
    readFile: (p: string) => readSecretText(path.resolve(io.cwd, p)),
  });
  const secretNames = new Set(resolved.secretNames);
  const publicInputs = Object.fromEntries(Object.entries(resolved.values).filter(([k]) => !secretNames.has(k)));
  return { runbook, registry, inputs: resolved.values, secretValues: resolved.secretValues, publicInputs };
}
