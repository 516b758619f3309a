// Set-up for fleet end-to-end tests: several simulated clusters in this process (each with its own kubeconfig),
// a combined kubeconfig with one context per cluster, fleet files, the fleet record read back, and the per-test set-up.

import type { RawCluster } from '../../src/fleet/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { startSimulation, type Simulation } from '../../src/sim/index.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { useTempDir } from './fixtures.js';

export const APPROVE_CSRS = path.join(repoRoot, 'runbooks/approve-csrs.yaml');
export const TWO_WORKERS = path.join(repoRoot, 'runbooks/scenarios/two-workers.yaml');

/** `n` two-workers clusters; the scenario's 60× is raised so a cluster's whole run takes well under a second. */
export async function startClusters(n: number, timeScale = 600, scenario = TWO_WORKERS): Promise<Simulation[]> {
  return Promise.all(Array.from({ length: n }, () => startSimulation({ scenario, timeScale })));
}

/**
 * The per-test set-up of the fleet test files: a temp dir (removed after the test), the clusters the test starts
 * with `startSims` (stopped after it, before the dir goes), and `run`: `opsbook run approve-csrs` with the test's
 * state dir and plain output.
 */
export function useFleetTest() {
  const tmp = useTempDir();
  const sims: Simulation[] = [];
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });
  return {
    tmp,
    at: (name: string) => path.join(tmp.dir, name),
    run: (fleetArgs: string[], ...extra: string[]) => runCli(['run', APPROVE_CSRS, ...fleetArgs, '--state-dir', tmp.stateDir, '--output', 'plain', ...extra], { timeout: 90_000 }),
    async startSims(...args: Parameters<typeof startClusters>): Promise<Simulation[]> {
      const started = await startClusters(...args);
      sims.push(...started);
      return started;
    },
  };
}

/** A kubeconfig whose server refuses connections: an unreachable cluster. */
export function writeDeadKubeconfig(file: string, like: Simulation): string {
  writeFileSync(file, like.kubeconfig.replace(/server: .*/, 'server: https://127.0.0.1:1'));
  return file;
}

/** One kubeconfig with a context (and cluster and user) per simulation, named as given. */
export function writeCombinedKubeconfig(file: string, clusters: Record<string, Simulation>): string {
  const names = Object.keys(clusters);
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const name of names) lines.push(`  - name: ${name}`, '    cluster:', `      server: ${clusters[name]!.url}`, `      certificate-authority-data: ${Buffer.from(clusters[name]!.caPem).toString('base64')}`);
  lines.push('users:');
  for (const name of names) lines.push(`  - name: ${name}`, '    user:', `      token: ${clusters[name]!.adminToken}`);
  lines.push('contexts:');
  for (const name of names) lines.push(`  - name: ${name}`, '    context:', `      cluster: ${name}`, `      user: ${name}`);
  lines.push(`current-context: ${names[0]}`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

/** A cluster entry as a fleet file writes it. */
export type ListedCluster = RawCluster;

/** A fleet file listing `clusters`, with `strategy` and any other spec lines as YAML flow text. */
export function writeFleet(file: string, clusters: ListedCluster[], spec: { strategy?: string; extra?: string[] } = {}): string {
  const lines = ['apiVersion: opsbook.dev/v1', 'kind: Fleet', 'metadata: {name: test-fleet}', 'spec:'];
  if (clusters.length > 0) lines.push('  clusters:');
  for (const c of clusters) lines.push(`    - ${JSON.stringify(c)}`);
  if (spec.strategy) lines.push(`  strategy: ${spec.strategy}`);
  lines.push(...(spec.extra ?? []));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

export interface RecordedFleet {
  fleetId: string;
  status: string;
  reason?: string;
  passedGates: string[];
  clusters: { name: string; wave: number; status: string; runId?: string; failedStep?: string; error?: string }[];
}

export function readFleetRecord(stateDir: string, fleetId: string): RecordedFleet {
  return JSON.parse(readFileSync(path.join(stateDir, 'fleets', `${fleetId}.json`), 'utf8')) as RecordedFleet;
}

/** The fleet id a fleet run printed (plain output). */
export function fleetIdIn(output: string): string {
  const id = /\bfleet (fleet-\d{8}-\d{6}-\d{3}-[0-9a-f]{6})\b/.exec(output)?.[1];
  if (!id) throw new Error(`no fleet id in:\n${output}`);
  return id;
}
