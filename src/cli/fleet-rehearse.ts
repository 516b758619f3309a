// `opsbook rehearse RUNBOOK --scenario F --fleet FILE | --clusters N`: the fleet run of `run --fleet` (the same
// executeFleet: waves, budget, records, renderers) against N simulated clusters, one per fleet cluster, each a variant
// of the scenario (its `fleet:` section), under the rehearsal network policy, on one scaled clock.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Fleet } from '../fleet/index.js';
import { escapeControl, escapeJsonControl } from '../ui/escape.js';
import { newFleetRecord } from './fleet-command.js';
import type { FleetFlags } from './fleet-run.js';
import type { CliIo } from './io.js';
import { resolveOutputMode } from './options.js';

export interface RehearseFleetFlags extends Omit<FleetFlags, 'kubeconfig' | 'context'> {
  scenario: string;
  timeScale?: number;
  /** Simulated clusters sim-1 … sim-N (without --fleet). */
  clusters?: number;
}

/** The fleet to rehearse: the fleet file's clusters, or sim-1 … sim-N with the default strategy (and the flags' overrides). */
async function rehearsalFleet(flags: RehearseFleetFlags, count: number | undefined, io: CliIo): Promise<Fleet> {
  const [fleetArea, { resolveFleetTarget }, { systemClock }, { simClusterNames }] = await Promise.all([
    import('../fleet/index.js'),
    import('./fleet-target.js'),
    import('../time/clock.js'),
    import('./fleet-sims.js'),
  ]);
  if (flags.fleet !== undefined) return resolveFleetTarget(flags, io, systemClock, { rehearsal: true });
  if (count === undefined) throw new UsageError('rehearse a fleet with --fleet FILE or --clusters N (or a scenario whose fleet.clusters says how many)');
  const strategy = { ...fleetArea.DEFAULT_STRATEGY };
  if (flags.maxParallel !== undefined) strategy.maxParallel = flags.maxParallel;
  if (flags.maxFailures !== undefined) {
    const budget = fleetArea.parseSizeText(flags.maxFailures);
    if (!budget || ('percent' in budget && budget.percent > 100)) throw new UsageError(`--max-failures: must be a count like 2 or a percentage like 5% (got ${flags.maxFailures})`);
    strategy.maxFailures = budget;
  }
  const clusters = simClusterNames(count).map((name) => ({ name, connection: { kind: 'kubeconfig' as const }, labels: {}, inputs: {}, origin: `--clusters ${count}` }));
  return { name: `rehearsal of ${count} clusters`, clusters, strategy };
}

export async function rehearseFleetCommand(file: string, flags: RehearseFleetFlags, io: CliIo): Promise<number> {
  if (flags.fleet !== undefined && flags.clusters !== undefined) throw new UsageError('--fleet names the clusters; --clusters N cannot be given with it');
  if (flags.contexts !== undefined) throw new UsageError('--contexts discovers real clusters; a rehearsal simulates them (--fleet FILE or --clusters N)');
  const [{ loadScenario }, { prepareFleet }, fleetArea, { systemClock }, { openDefaultStore, openDefaultFleetStore }, { executeFleet }, { startFleetSimulations, writeFleetKubeconfig }, net, { rehearsalNodeOpener }] =
    await Promise.all([
      import('../sim/index.js'),
      import('./fleet-prepare.js'),
      import('../fleet/index.js'),
      import('../time/clock.js'),
      import('../store/default.js'),
      import('./fleet-run.js'),
      import('./fleet-sims.js'),
      import('../net/index.js'),
      import('../sim/index.js'),
      // As rehearse does: load @kubernetes/client-node before the scaled clock starts, not on simulated time.
      import('../k8s/client.js'),
      import('./telemetry.js').then((telemetry) => telemetry.preloadTracing(io.env)),
    ]);
  const scenario = await loadScenario(path.resolve(io.cwd, flags.scenario));
  if (scenario.assistedInstaller) throw new UsageError(`${flags.scenario}: a fleet rehearsal cannot simulate the Assisted Installer (one impersonated api.openshift.com per rehearsal); rehearse it on one cluster`);
  const fleet = await rehearsalFleet(flags, flags.clusters ?? (flags.fleet === undefined ? scenario.fleet?.clusters : undefined), io);
  const standIns = scenario.secrets;
  const prepared = await prepareFleet(
    file,
    { set: flags.set, valuesFile: flags.values, suggested: scenario.inputs, secretStandIns: standIns },
    fleet.clusters.map((c) => ({ name: c.name, origin: c.origin, over: c.inputs })),
    io,
  );
  const tempState = flags.stateDir ? undefined : mkdtempSync(path.join(tmpdir(), 'opsbook-rehearse-'));
  const stateDir = tempState ?? path.resolve(io.cwd, flags.stateDir!);
  const scratch = mkdtempSync(path.join(tmpdir(), 'opsbook-rehearse-net-'));
  const order = fleetArea.planWaves(fleet.clusters, fleet.strategy.waves).flatMap((w) => w.clusters.map((c) => c.name));
  const fleetSims = await startFleetSimulations(scenario, order, { ...(flags.timeScale !== undefined ? { timeScale: flags.timeScale } : {}) });
  // Every cluster's connections go through the same policy: its simulation (loopback) and nothing beyond.
  const network = net.createRehearsalNetwork({});
  let contained: Awaited<ReturnType<typeof net.startProcessContainment>> | undefined;
  try {
    contained = await net.startProcessContainment({ policy: network, dir: scratch });
    const containment = contained;
    const kubeconfigPath = path.join(scratch, 'fleet-kubeconfig');
    await writeFleetKubeconfig(kubeconfigPath, fleetSims.kubeconfig);
    // Each fleet cluster is the simulation of the same name: its context in the rehearsal's kubeconfig.
    const rehearsed: Fleet = { ...fleet, clusters: fleet.clusters.map((c) => ({ ...c, connection: { kind: 'kubeconfig', kubeconfig: kubeconfigPath, context: c.name } })) };
    const clock = fleetSims.clock;
    const record = newFleetRecord(fleetArea, rehearsed, prepared, path.resolve(io.cwd, prepared.runbook.file), clock.now());
    const fleetStore = openDefaultFleetStore(stateDir);
    const claim = await fleetStore.claimFleet(record.fleetId);
    let exitCode: number;
    try {
      exitCode = await executeFleet({
        io,
        flags: { ...flags, breakLock: false },
        record,
        prepared,
        stateDir,
        clock,
        runStore: openDefaultStore(stateDir),
        fleetStore,
        where: stateDir,
        resumed: false,
        resumable: false,
        // The reachability probe is connection set-up, not the runbook's time: real seconds, as rehearse's warm-up.
        probeClock: systemClock,
        rehearsal: { scenario: scenario.name },
        engine: (cluster, engine) => {
          const sim = fleetSims.sims.get(cluster)!;
          return {
            ...engine,
            network,
            openNode: rehearsalNodeOpener(sim.controlPlane),
            spawnEnv: containment.env,
            // With simulated nodes `~` is the simulation's scratch home, so no workstation file of yours is replaced.
            ...(sim.controlPlane ? { env: { ...engine.env, HOME: sim.controlPlane.workstationHome } } : {}),
          };
        },
      });
    } finally {
      await claim.release();
    }
    const byName = new Map(record.clusters.map((c) => [c.name, c]));
    const summary = fleetSims.plan.map((p) => ({
      cluster: p.name,
      scenario: p.scenario.name,
      differs: p.differs,
      status: byName.get(p.name)?.status ?? 'pending',
      ...(byName.get(p.name)?.failedStep ? { failedStep: byName.get(p.name)!.failedStep } : {}),
    }));
    const refused = network.attempts().filter((a) => a.outcome === 'refused').map((a) => a.target);
    if (resolveOutputMode(flags.output, io.stdout.isTTY) === 'json') {
      io.stdout.write(`${escapeJsonControl(JSON.stringify({ type: 'fleet-rehearsal', scenario: scenario.name, timeScale: flags.timeScale ?? scenario.timeScale, exitCode, clusters: summary, network: { refused } }))}\n`);
    } else {
      const lines = ['', `Rehearsal: ${summary.length} simulated clusters of ${scenario.name} (time scale ${flags.timeScale ?? scenario.timeScale})`];
      for (const s of summary) lines.push(`  ${s.cluster}: ${s.status}${s.failedStep ? ` at ${s.failedStep}` : ''}${s.differs.length ? ` (${s.differs.join(', ')})` : ''}`);
      if (refused.length > 0) lines.push(`Network: refused (not simulated): ${[...new Set(refused)].join(', ')}`);
      io.stdout.write(`${lines.map((l) => escapeControl(l)).join('\n')}\n`);
    }
    return exitCode;
  } finally {
    await contained?.close();
    await fleetSims.stop();
    rmSync(scratch, { recursive: true, force: true });
    if (tempState) rmSync(tempState, { recursive: true, force: true });
  }
}
