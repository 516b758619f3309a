// `opsbook sim serve [--clusters N]`: runs one simulated cluster (or N, one kubeconfig context each) in the foreground until Ctrl-C or SIGTERM, then prints its counters.

import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Scenario } from '../../sim/index.js';
import { UsageError } from '../../errors.js';
import { escapeControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';

export interface SimServeFlags {
  scenario: string;
  kubeconfigOut?: string;
  port?: string;
  timeScale?: string;
  clusters?: string;
  connectionOut?: string;
}

export function registerSimCommand(program: Command): void {
  const sim = program.command('sim').description('simulated Kubernetes/OpenShift clusters for rehearsals and tests');
  sim
    .command('serve')
    .description('run a simulated cluster from a scenario file; prints "listening on https://127.0.0.1:PORT" when ready')
    .requiredOption('--scenario <file>', 'scenario YAML (see runbooks/scenarios/)')
    .option('--kubeconfig-out <path>', 'write the kubeconfig here (default: a temporary file, path printed on stderr)')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free port)')
    .option('--time-scale <n>', 'simulated seconds per real second (default: the scenario\'s timeScale)')
    .option('--clusters <n>', "serve N clusters sim-1 … sim-N, one kubeconfig context each (default with a fleet: scenario: its fleet.clusters)")
    .option('--connection-out <path>', 'write a connection file for `opsbook step run --rehearsal FILE`: steps run on this simulation as in `rehearse` (its clock, simulated nodes and hosts)')
    .action(async (flags: SimServeFlags) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        process.exitCode = await simServeCommand(flags, getProcessIo(), stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function parseNumber(flag: string, text: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || !check(value)) throw new UsageError(`${flag}: expected ${expected} (got ${JSON.stringify(text)})`);
  return value;
}

/** Serves until `signal` aborts; returns the exit code. */
export async function simServeCommand(flags: SimServeFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const port = parseNumber('--port', flags.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'an integer port between 0 and 65535');
  const timeScale = parseNumber('--time-scale', flags.timeScale, (n) => n > 0, 'a number > 0');
  const scenario = resolve(io.cwd, flags.scenario);
  const clusters = parseNumber('--clusters', flags.clusters, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'an integer between 1 and 1000');
  const { startSimulation, loadScenario, startWorkloads } = await import('../../sim/index.js');
  const loaded = await loadScenario(scenario);
  const count = clusters ?? loaded.fleet?.clusters;
  if (count !== undefined) {
    if (port !== undefined) throw new UsageError('--port serves one cluster; with several each takes a free port (see the kubeconfig)');
    if (flags.connectionOut !== undefined) throw new UsageError('--connection-out joins one simulated cluster; it cannot be given with several');
    return serveFleet(loaded, count, { timeScale, kubeconfigOut: flags.kubeconfigOut ? resolve(io.cwd, flags.kubeconfigOut) : undefined }, io, signal);
  }
  const sim = await startSimulation({
    scenario: loaded,
    port,
    timeScale,
    kubeconfigOut: flags.kubeconfigOut ? resolve(io.cwd, flags.kubeconfigOut) : undefined,
  });
  io.stderr.write(`kubeconfig: ${sim.kubeconfigPath}\nscenario: ${escapeControl(sim.scenario.name)} (${sim.scenario.flavour}, time scale ${timeScale ?? sim.scenario.timeScale})\n`);
  // `opsbook submit` works against it: the Job controller runs, and pods of this version's image run as local processes of this build.
  const image = (await import('./export.js')).defaultImage();
  const { packagePath } = await import('../../paths.js');
  // Pods run on the scenario's own nodes (when Ready and schedulable), as a scheduler places them; a scenario without any gets sim-worker, registered.
  const nodeNames = sim.access.list('nodes').map((node) => node.metadata.name);
  const workloads = startWorkloads(sim.access, { clock: sim.clock, startedAt: sim.startedAt, signal, report: (error, where) => void io.stderr.write(`sim: ${where}: ${(error as Error)?.message ?? String(error)}\n`) }, {
    ...(nodeNames.length > 0 ? { nodeNames } : {}),
    images: { [image]: { command: [process.execPath, packagePath('dist', 'bundle', 'opsbook.js')], env: { PATH: io.env.PATH ?? '/usr/bin:/bin' } } },
  });
  io.stderr.write(`pods of ${image} run as local processes (dist/bundle/opsbook.js); any other image stays in ImagePullBackOff\n`);
  const connection = flags.connectionOut
    ? await (await import('../rehearsal-connection.js')).serveRehearsalConnection(sim, resolve(io.cwd, flags.connectionOut), timeScale ?? sim.scenario.timeScale)
    : undefined;
  if (flags.connectionOut) io.stderr.write(`connection: ${resolve(io.cwd, flags.connectionOut)} (opsbook step run --rehearsal)\n`);
  io.stdout.write(`listening on ${sim.url}\n`);
  // Clients reach it as the real hosts with the connection sent here (e.g. curl --connect-to HOST:443:127.0.0.1:PORT).
  if (sim.impersonation) io.stderr.write(`assisted installer and SSO: 127.0.0.1:${sim.impersonation.port}, answering for ${sim.impersonation.hosts.map((h) => escapeControl(h)).join(', ')} (certificate from the kubeconfig's CA)\n`);
  if (!signal.aborted) await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
  const counters = sim.counters();
  const faults = sim.faults();
  workloads.stop();
  await connection?.close();
  await sim.stop();
  io.stdout.write(`stopped; ${sim.totalRequests()} requests\n`);
  for (const [key, count] of Object.entries(counters)) io.stdout.write(`  ${key}: ${count}\n`);
  for (const [kind, count] of Object.entries(faults)) io.stdout.write(`  fault ${kind}: ${count}\n`);
  return 0;
}

/** Several clusters, each its own simulation, one kubeconfig context each; the counters summed when stopped. */
async function serveFleet(scenario: Scenario, count: number, options: { timeScale?: number; kubeconfigOut?: string }, io: CliIo, signal: AbortSignal): Promise<number> {
  const { startFleetSimulations, simClusterNames, writeFleetKubeconfig } = await import('../fleet-sims.js');
  const fleet = await startFleetSimulations(scenario, simClusterNames(count), { ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}) });
  let dir: string | undefined;
  try {
    if (!options.kubeconfigOut) dir = mkdtempSync(join(tmpdir(), 'opsbook-sim-'));
    const kubeconfigPath = options.kubeconfigOut ?? join(dir!, 'kubeconfig');
    await writeFleetKubeconfig(kubeconfigPath, fleet.kubeconfig);
    io.stderr.write(`kubeconfig: ${kubeconfigPath} (${count} contexts: ${[...fleet.sims.keys()].slice(0, 3).join(', ')}${count > 3 ? ', …' : ''})\nscenario: ${escapeControl(scenario.name)} (${scenario.flavour}, time scale ${options.timeScale ?? scenario.timeScale}, ${count} clusters)\n`);
    for (const p of fleet.plan) if (p.differs.length > 0) io.stderr.write(`${p.name}: ${escapeControl(p.differs.join(', '))}\n`);
    for (const [name, sim] of fleet.sims) io.stdout.write(`listening on ${sim.url} (${name})\n`);
    if (!signal.aborted) await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
    const total = [...fleet.sims.values()].reduce((n, sim) => n + sim.totalRequests(), 0);
    io.stdout.write(`stopped; ${total} requests on ${count} clusters\n`);
    return 0;
  } finally {
    await fleet.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
