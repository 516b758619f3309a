// Starts the simulated cluster for the openshift step tests and connects a real KubeClient to it over HTTPS.

import { fileURLToPath } from 'node:url';
import { createKubeClient } from '../../../src/k8s/client.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import { startSimulation, type Simulation } from '../../../src/sim/index.js';

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
export const bundledScenario = (name: string): string =>
  fileURLToPath(new URL(`../../../runbooks/scenarios/${name}.yaml`, import.meta.url));

export interface SimCluster {
  sim: Simulation;
  kube: KubeClient;
  stop(): Promise<void>;
}

/** A simulation running `timeScale` times faster than real time, with a client using the simulation's clock. */
export async function startCluster(scenario: string, timeScale = 600): Promise<SimCluster> {
  const sim = await startSimulation({ scenario, timeScale });
  const kube = await createKubeClient({ kubeconfigPath: sim.kubeconfigPath, clock: sim.clock });
  return { sim, kube, stop: () => sim.stop() };
}
