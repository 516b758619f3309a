// Shared set-up of the submit end-to-end tests: a simulated cluster over HTTPS whose Job controller and kubelet run the opsbook image
// as this checkout's CLI (node + tsx), a namespace with a secret input and the kubeconfig Secret the pods reach the cluster with.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startWorkloads, type Workloads } from '../../src/sim/workloads/index.js';
import { cliEntry, repoRoot } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';

export const IMAGE = 'ghcr.io/opsbook/opsbook:e2e';

export interface SubmitCluster {
  cluster: TestCluster;
  workloads: Workloads;
  stop(): Promise<void>;
}

/** Nodes with heartbeats and the node controller (pods.killNode plays out as on a cluster), and the sim clock's speed. */
export interface SubmitClusterOptions {
  nodeNames?: string[];
  timeScale?: number;
}

/** The cluster, its workloads, namespace `namespace` with Secret `tokens` (key token = `token`) and Secret `target` (the kubeconfig). */
export async function startSubmitCluster(namespace: string, token: string, options: SubmitClusterOptions = {}): Promise<SubmitCluster> {
  const cluster = await startTestCluster(options.timeScale !== undefined ? { timeScale: options.timeScale } : {});
  const stop = new AbortController();
  const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
  const workloads = startWorkloads(cluster.sim.access, { clock: cluster.sim.clock, startedAt: cluster.sim.startedAt, signal: stop.signal, report: (e) => console.error(e) }, {
    // The opsbook image, as this checkout: node running the CLI's source.
    images: { [IMAGE]: { command: [process.execPath, '--import', tsx, cliEntry], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' } } },
    replacementDelayMs: () => 500,
    gracePeriodMs: 10_000,
    ...(options.nodeNames ? { nodeNames: options.nodeNames, nodeLifecycle: {} } : {}),
  });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tokens', namespace }, stringData: { token } });
  // The pod reaches the (simulated) cluster with this kubeconfig: the simulation has no service-account tokens.
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'target', namespace }, stringData: { value: cluster.sim.kubeconfig } });
  return {
    cluster,
    workloads,
    async stop() {
      workloads.stop();
      stop.abort();
      await cluster.stop();
    },
  };
}

/** Polls `probe` (every 100 ms) until it gives a value: tests wait on conditions, never on fixed times. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
