// The runbook and every cluster's inputs for a fleet run: the runbook is loaded, --values read and missing secrets
// asked once; each cluster's inputs are resolved up front, so a bad value is exit 2 naming the cluster, before any runs.

import path from 'node:path';
import { RunbookError } from '../errors.js';
import { readSecretText } from '../files/read-secret-file.js';
import { createMasker } from '../secrets/index.js';
import type { Runbook } from '../runbook/types.js';
import type { StepRegistry } from '../steps/registry.js';
import type { CliIo } from './io.js';
import type { PreparedRun } from './prepare.js';
import { findMissingSecrets, promptSecrets } from './secrets.js';
import { formatWarning } from './warnings.js';

export interface ClusterInputs {
  name: string;
  /** Where the cluster was declared, for messages. */
  origin: string;
  /** Applied over --values and --set (a fleet file's per-cluster inputs). */
  over?: Record<string, unknown>;
  /** Applied under --values and --set (a resumed cluster's recorded inputs). */
  under?: Record<string, unknown>;
}

export interface PreparedFleet {
  runbook: Runbook;
  registry: StepRegistry;
  /** By cluster name. */
  runs: Map<string, PreparedRun>;
}

const nameOf = (assignment: string) => assignment.split('=')[0]!.trim();

export interface PrepareFleetOptions {
  set: string[];
  valuesFile?: string;
  /** rehearse: the scenario's suggested inputs (those the runbook declares), under everything else. */
  suggested?: Record<string, unknown>;
  /** rehearse: the scenario's dummy secrets by fromEnv variable or input name, over --values. */
  secretStandIns?: Record<string, string>;
}

export async function prepareFleet(file: string, options: PrepareFleetOptions, clusters: ClusterInputs[], io: CliIo): Promise<PreparedFleet> {
  const [{ loadRunbook, resolveInputs, readValuesFile }, { createStepRegistry }] = await Promise.all([import('../runbook/index.js'), import('../steps/registry.js')]);
  const registry = createStepRegistry();
  const runbook = await loadRunbook(file, { registry, onWarning: (w) => io.stderr.write(`${formatWarning(w)}\n`) });
  const fromFile = options.valuesFile ? await readValuesFile(path.resolve(io.cwd, options.valuesFile)) : {};
  const suggested = Object.fromEntries(Object.entries(options.suggested ?? {}).filter(([name]) => name in runbook.inputs));
  const standIns: Record<string, unknown> = {};
  for (const spec of Object.values(runbook.inputs)) {
    if (spec.type !== 'secret' || options.set.some((s) => nameOf(s) === spec.name)) continue;
    const standIn = (spec.fromEnv !== undefined ? options.secretStandIns?.[spec.fromEnv] : undefined) ?? options.secretStandIns?.[spec.name];
    if (standIn !== undefined) standIns[spec.name] = standIn;
  }
  // A secret every cluster gets from elsewhere is not asked for; the others once, for the whole fleet.
  const everyCluster = (name: string) => clusters.every((c) => (c.over && name in c.over) || (c.under && name in c.under));
  const given = new Set([...Object.keys(fromFile), ...Object.keys(suggested), ...Object.keys(standIns), ...options.set.map(nameOf), ...Object.keys(runbook.inputs).filter(everyCluster)]);
  const prompted = await promptSecrets(findMissingSecrets(runbook, io.env, given, io.cwd), io);
  const runs = new Map<string, PreparedRun>();
  for (const cluster of clusters) {
    const over = cluster.over ?? {};
    try {
      const resolved = await resolveInputs(runbook, {
        // The cluster's own values win over --set: its --set entries for those names are dropped.
        set: options.set.filter((s) => !(nameOf(s) in over)),
        values: { ...suggested, ...cluster.under, ...fromFile, ...standIns, ...prompted, ...over },
        valuesFile: options.valuesFile,
        env: io.env,
        readFile: (p: string) => readSecretText(path.resolve(io.cwd, p)),
      });
      const secretNames = new Set(resolved.secretNames);
      // Masked as the engine masks a run's recorded inputs: the fleet record is stored (gzipped in the cluster) as they are.
      const masker = createMasker(resolved.secretValues);
      const publicInputs = Object.fromEntries(Object.entries(resolved.values).filter(([k]) => !secretNames.has(k)).map(([k, v]) => [k, masker.data(v)]));
      runs.set(cluster.name, { runbook, registry, inputs: resolved.values, secretValues: resolved.secretValues, publicInputs });
    } catch (error) {
      if (!(error instanceof RunbookError)) throw error;
      const where = `cluster ${cluster.name} (${cluster.origin})`;
      throw new RunbookError(`${where}: ${error.message}`, error.diagnostics.map((d) => ({ ...d, message: `${where}: ${d.message}` })), { cause: error });
    }
  }
  return { runbook, registry, runs };
}
