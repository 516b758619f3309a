// Simulated kubeadm control-plane nodes for the certs steps (the simulation's, not a test copy): a scenario, a virtual
// clock shared with the step context, the commands each node ran, and a hash of a node's /etc/kubernetes.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { NodeTransport } from '../../../src/node/index.js';
import { startSimulation, rehearsalNodeOpener, type ScenarioInput, type Simulation } from '../../../src/sim/index.js';
import { hostPath } from '../../../src/sim/controlplane/index.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { createTestContext, type RecordingContext } from './context.js';

export type ControlPlaneInput = Partial<NonNullable<ScenarioInput['controlPlane']>>;

export interface SimulatedNodes {
  sim: Simulation;
  clock: VirtualClock;
  ctx: RecordingContext;
  /** argv of every command run on a node, by node name. */
  calls(node: string, program?: string): string[][];
  /** Path on this machine of a path on a node. */
  path(node: string, nodePath: string): string;
  /** mode and sha256 of every file under a node's directory (default /etc/kubernetes). */
  hashTree(node: string, nodePath?: string): Record<string, string>;
}

/** Starts a simulation whose control-plane nodes the step context opens (as `rehearse` does). */
export async function startSimulatedNodes(controlPlane: ControlPlaneInput = {}, nodes = ['cp-1']): Promise<SimulatedNodes> {
  const clock = new VirtualClock({ start: Date.now() });
  const sim = await startSimulation({
    clock,
    scenario: {
      name: 'certs-steps',
      flavour: 'kubernetes',
      controlPlane: { clusterName: 'c1', nodes: nodes.map((name) => ({ name })), restartDelay: '2s', ...controlPlane },
    },
  });
  const log: { node: string; argv: string[] }[] = [];
  const open = rehearsalNodeOpener(sim.controlPlane);
  const ctx = createTestContext({
    clock,
    openNode: (spec, exec) => {
      const node = open(spec, exec);
      const record = (argv: readonly string[]) => log.push({ node: spec.name, argv: [...argv] });
      return { ...node, run: (argv, o) => (record(argv), node.run(argv, o)), runChecked: (argv, o) => (record(argv), node.runChecked(argv, o)) } satisfies NodeTransport;
    },
  });
  const path = (node: string, nodePath: string) => hostPath(sim.controlPlane!.rootfs(node), nodePath);
  return {
    sim,
    clock,
    ctx,
    calls: (node, program) => log.filter((c) => c.node === node && (!program || c.argv[0] === program)).map((c) => c.argv.slice(program ? 1 : 0)),
    path,
    hashTree: (node, nodePath = '/etc/kubernetes') => hashTree(path(node, nodePath)),
  };
}

function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const file = join(dir, entry);
      const st = statSync(file);
      if (st.isDirectory()) walk(file);
      else out[relative(root, file)] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
    }
  };
  walk(root);
  return out;
}
