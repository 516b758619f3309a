// `opsbook run RUNBOOK --fleet FILE | --contexts GLOB` and `opsbook resume FLEET_ID`: the fleet, the runbook and every
// cluster's inputs are checked first (exit 2, nothing run), then the record is written and the clusters scheduled.

import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Fleet } from '../fleet/index.js';
import type { FleetClusterRecord, FleetRecord } from '../store/index.js';
import type { PreparedFleet } from './fleet-prepare.js';
import type { FleetState } from './fleet-state.js';
import { executeFleet, type FleetFlags } from './fleet-run.js';
import type { CliIo } from './io.js';
import { resolveStateDir } from './options.js';

export interface FleetRunFlags extends FleetFlags {
  only?: string[];
  skip?: string[];
  from?: string[];
  fromRun?: string;
}

/** true when the flags ask for a fleet run rather than one cluster. */
export function isFleetRun(flags: { fleet?: string; contexts?: string }): boolean {
  return flags.fleet !== undefined || flags.contexts !== undefined;
}

export async function runFleetCommand(file: string, flags: FleetRunFlags, io: CliIo): Promise<number> {
  const [{ resolveFleetTarget }, { prepareFleet }, fleetArea, { systemClock }, { prepareStateDir, resolveStateLocation }, { resolveSelection }, { openFleetState }] = await Promise.all([
    import('./fleet-target.js'),
    import('./fleet-prepare.js'),
    import('../fleet/index.js'),
    import('../time/clock.js'),
    import('./state-dir.js'),
    import('./selection.js'),
    import('./fleet-state.js'),
  ]);
  // The clusters come from the fleet; --context can only name the cluster that keeps the fleet run in a namespace.
  if (flags.context !== undefined && resolveStateLocation(flags, io.env, io.cwd).kind === 'local') {
    throw new UsageError('--context names one cluster; a fleet names its clusters itself (--fleet, --contexts); with --state kubernetes://NS it names the cluster that keeps the fleet run');
  }
  if ((flags.from ?? []).length > 0 || flags.fromRun !== undefined) throw new UsageError('--from and --from-run select from one earlier run; they do not apply to a fleet (resume the fleet instead)');
  const clock = systemClock;
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  prepareStateDir(stateDir);
  const fleet = await resolveFleetTarget(flags, io, clock);
  const prepared = await prepareFleet(file, { set: flags.set, valuesFile: flags.values }, fleet.clusters.map((c) => ({ name: c.name, origin: c.origin, over: c.inputs })), io);
  // Checked (namespace, RBAC) once the fleet and the inputs are, before the record is written or any cluster touched.
  const state = await openFleetState(flags, io, clock, 'write');
  const selection = await resolveSelection({ only: flags.only ?? [], skip: flags.skip ?? [], from: [], fromRun: undefined }, prepared.runbook, async () => state.runs, (text) => void io.stderr.write(`${text}\n`));
  const record = newFleetRecord(fleetArea, fleet, prepared, path.resolve(io.cwd, prepared.runbook.file), clock.now());
  const { claim, lost } = await state.claimFleet(record.fleetId);
  try {
    return await executeFleet({ io, flags, record, prepared, stateDir, clock, ...fleetStores(state), ...(lost ? { lost } : {}), ...(selection ? { selection } : {}), resumed: false });
  } finally {
    await claim.release();
  }
}

/** What executeFleet needs of where the fleet is kept. */
function fleetStores(state: FleetState): Pick<Parameters<typeof executeFleet>[0], 'runStore' | 'fleetStore' | 'where' | 'clusterStore' | 'leases'> {
  return { runStore: state.runs, fleetStore: state.fleets, where: state.where, clusterStore: state.forCluster, leases: state.leases };
}

/** A new fleet run's record: every cluster pending in its wave, with the inputs it will run with (secrets left out). */
export function newFleetRecord(fleetArea: typeof import('../fleet/index.js'), fleet: Fleet, prepared: PreparedFleet, runbookPath: string, nowMs: number): FleetRecord {
  const waves = fleetArea.planWaves(fleet.clusters, fleet.strategy.waves);
  const now = new Date(nowMs).toISOString();
  return {
    fleetId: fleetArea.createFleetId(nowMs),
    fleet: { name: fleet.name, ...(fleet.file ? { file: fleet.file } : {}) },
    runbook: { path: runbookPath, name: prepared.runbook.metadata.name },
    strategy: { maxParallel: fleet.strategy.maxParallel, maxFailures: fleetArea.resolveFailureBudget(fleet.strategy.maxFailures, fleet.clusters.length), pause: fleet.strategy.pause },
    status: 'running',
    startedAt: now,
    updatedAt: now,
    passedGates: [],
    clusters: waves.flatMap((wave) =>
      wave.clusters.map((c): FleetClusterRecord => ({
        name: c.name,
        wave: wave.number,
        connection: c.connection,
        labels: c.labels,
        inputs: prepared.runs.get(c.name)!.publicInputs,
        ...(c.deadlineMs !== undefined ? { deadlineMs: c.deadlineMs } : {}),
        status: 'pending',
      })),
    ),
  };
}

export async function resumeFleetCommand(fleetId: string, flags: FleetFlags, io: CliIo): Promise<number> {
  const [{ prepareFleet }, { systemClock }, { prepareStateDir }, { openFleetState }] = await Promise.all([
    import('./fleet-prepare.js'),
    import('../time/clock.js'),
    import('./state-dir.js'),
    import('./fleet-state.js'),
  ]);
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  const state = await openFleetState(flags, io, systemClock, 'write');
  if (!(await state.fleets.readFleet(fleetId))) throw new UsageError(`no fleet run ${fleetId} in ${state.where} (see \`opsbook runs\`)`);
  prepareStateDir(stateDir);
  // Claimed before the record is read for good: of two resumes of one fleet, exactly one goes on. A lease of a live
  // (or killed, not yet expired) holder is taken over with --break-lock, as `resume RUN_ID` does.
  const { claim, lost } = await state.claimFleet(fleetId, { force: (flags.force ?? false) || (state.leases && (flags.breakLock ?? false)) });
  try {
    const record = (await state.fleets.readFleet(fleetId))!;
    if (record.clusters.every((c) => c.status === 'succeeded')) {
      io.stderr.write(`fleet ${fleetId}: every cluster already succeeded; nothing to resume\n`);
      return 0;
    }
    const open = record.clusters.filter((c) => c.status !== 'succeeded');
    // Secrets were never recorded: they come again from env/file or a prompt; other inputs from the record.
    const prepared = await prepareFleet(record.runbook.path, { set: flags.set, valuesFile: flags.values }, open.map((c) => ({ name: c.name, origin: `fleet ${fleetId}`, under: c.inputs })), io);
    return await executeFleet({ io, flags, record, prepared, stateDir, clock: systemClock, ...fleetStores(state), ...(lost ? { lost } : {}), resumed: true });
  } finally {
    await claim.release();
  }
}
