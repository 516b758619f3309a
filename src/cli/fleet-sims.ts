// N simulated clusters for `rehearse --fleet/--clusters` and `sim serve --clusters`: each its own simulation (own
// port, CA, token, objects, actors), all on one shared scaled clock, and one kubeconfig with a context per cluster.

import { writeFile } from 'node:fs/promises';
import type { FleetClusterScenario, Scenario, Simulation } from '../sim/index.js';
import { createScaledClock, systemClock, type Clock } from '../time/clock.js';
import { stringifyYaml } from '../yaml/index.js';

export interface FleetSimulations {
  /** By cluster name, in the order given. */
  sims: Map<string, Simulation>;
  plan: FleetClusterScenario[];
  /** The one clock every simulation (and the rehearsed fleet run) uses. */
  clock: Clock;
  /** A kubeconfig whose contexts are the cluster names (the first is current). */
  kubeconfig: string;
  stop(): Promise<void>;
}

/** Simulations started at once: each generates its CA and serving key, which is CPU-bound. */
const START_CONCURRENCY = 4;

/** Cluster names sim-1 … sim-N. */
export function simClusterNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `sim-${i + 1}`);
}

export async function startFleetSimulations(scenario: Scenario, names: readonly string[], options: { timeScale?: number; clock?: Clock }): Promise<FleetSimulations> {
  const { startSimulation, fleetClusterScenarios } = await import('../sim/index.js');
  const timeScale = options.timeScale ?? scenario.timeScale;
  // One clock: the fleet's scheduler, every cluster's engine and every simulation agree on simulated time.
  const clock = options.clock ?? (timeScale === 1 && scenario.start === undefined ? systemClock : createScaledClock(timeScale, scenario.start ?? Date.now()));
  const plan = fleetClusterScenarios(scenario, names);
  const sims = new Map<string, Simulation>();
  const stopAll = async () => void (await Promise.allSettled([...sims.values()].map((sim) => sim.stop())));
  try {
    for (let i = 0; i < plan.length; i += START_CONCURRENCY) {
      const batch = plan.slice(i, i + START_CONCURRENCY);
      const started = await Promise.all(batch.map((entry) => startSimulation({ scenario: entry.scenario, clock })));
      batch.forEach((entry, j) => sims.set(entry.name, started[j]!));
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { sims, plan, clock, kubeconfig: renderFleetKubeconfig([...sims].map(([name, sim]) => ({ name, sim }))), stop: stopAll };
}

/** One kubeconfig for every simulated cluster: a cluster, user and context named after each. */
export function renderFleetKubeconfig(entries: ReadonlyArray<{ name: string; sim: Pick<Simulation, 'url' | 'caPem' | 'adminToken'> }>): string {
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: entries.map(({ name, sim }) => ({ name, cluster: { server: sim.url, 'certificate-authority-data': Buffer.from(sim.caPem).toString('base64') } })),
    users: entries.map(({ name, sim }) => ({ name: `${name}-admin`, user: { token: sim.adminToken } })),
    contexts: entries.map(({ name }) => ({ name, context: { cluster: name, user: `${name}-admin` } })),
    ...(entries[0] ? { 'current-context': entries[0].name } : {}),
    preferences: {},
  });
}

/** Writes it readable by the owner only: it carries every cluster's admin token. */
export async function writeFleetKubeconfig(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
}
