// `opsbook plan RUNBOOK --fleet FILE | --contexts GLOB [--offline]`: the waves, every cluster's read-only plan (the
// single-cluster planRunbook with that cluster's inputs and connection) summarised and grouped, and the rollout's
// worst case. Like plan, it changes nothing; an unreachable cluster (or --offline) is reported, not an error.

import path from 'node:path';
import { UsageError } from '../errors.js';
import type { ClusterPlanSummary, FleetCluster, WavePause } from '../fleet/index.js';
import { formatDurationHuman } from '../time/duration.js';
import type { KubeClient } from '../k8s/types.js';
import { escapeControl, escapeJsonControl } from '../ui/escape.js';
import type { FleetPlanView } from '../ui/fleet-plan.js';
import type { FleetTargetFlags } from './fleet-target.js';
import type { CliIo } from './io.js';
import { impersonationOf, resolveStateDir } from './options.js';

export interface PlanFleetFlags extends FleetTargetFlags {
  set: string[];
  values?: string;
  output?: string;
  concurrency?: number;
  stateDir?: string;
  context?: string;
  offline?: boolean;
  only?: string[];
  skip?: string[];
  from?: string[];
  fromRun?: string;
  /** --as/--as-group: every cluster's previews and shell steps' kubectl act as this identity, as `plan` does on one cluster. */
  as?: string;
  asGroup?: string[];
}

/** Clusters planned at once when their previews read them (each plan reads a few objects, 4 previews at a time). */
const CLUSTER_CONCURRENCY = 8;
/** A cluster that does not answer /version within this is planned without previews. */
const REACH_TIMEOUT_MS = 10_000;

function describePause(pause: WavePause): string {
  return pause.kind === 'manual' ? 'manual gate' : pause.kind === 'delay' ? `pause ${formatDurationHuman(pause.ms)}` : 'none';
}

export async function planFleetCommand(file: string, flags: PlanFleetFlags, io: CliIo): Promise<number> {
  if (flags.context !== undefined) throw new UsageError('--context names one cluster; a fleet names its clusters itself (--fleet, --contexts)');
  if ((flags.from ?? []).length > 0 || flags.fromRun !== undefined) throw new UsageError('--from and --from-run select from one earlier run; they do not apply to a fleet');
  const [{ resolveFleetTarget, openKubeClient }, { prepareFleet }, fleetArea, { systemClock }, { resolveSelection }, { planRunbook }, { createKubeFactory }, { prepareChildEnv }, { openConnection }, { formatFleetPlan }] =
    await Promise.all([
      import('./fleet-target.js'),
      import('./fleet-prepare.js'),
      import('../fleet/index.js'),
      import('../time/clock.js'),
      import('./selection.js'),
      import('../engine/index.js'),
      import('./kube.js'),
      import('./child-env.js'),
      import('./fleet-connection.js'),
      import('../ui/fleet-plan.js'),
    ]);
  const clock = systemClock;
  const impersonate = impersonationOf(flags);
  const offline = flags.offline ?? false;
  const fleet = await resolveFleetTarget(flags, io, clock, offline ? { offline: true } : {});
  const prepared = await prepareFleet(file, { set: flags.set, valuesFile: flags.values }, fleet.clusters.map((c) => ({ name: c.name, origin: c.origin, over: c.inputs })), io);
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  const selection = await resolveSelection({ only: flags.only ?? [], skip: flags.skip ?? [], from: [], fromRun: undefined }, prepared.runbook, async () => (await import('../store/default.js')).openDefaultStore(stateDir), (text) => void io.stderr.write(`${text}\n`));
  const waves = fleetArea.planWaves(fleet.clusters, fleet.strategy.waves);
  const management = new Map<string, Promise<KubeClient>>();
  const openManagement = (kubeconfig?: string, context?: string) => {
    const key = `${kubeconfig ?? ''}\u0000${context ?? ''}`;
    if (!management.has(key)) management.set(key, openKubeClient(kubeconfig, context, io, clock));
    return management.get(key)!;
  };
  let deadlineMs: number | undefined;

  const planCluster = async (cluster: FleetCluster, wave: number): Promise<ClusterPlanSummary> => {
    const run = prepared.runs.get(cluster.name)!;
    const base = { runbook: run.runbook, inputs: run.inputs, secretValues: run.secretValues, registry: run.registry, clock, cwd: io.cwd, concurrency: flags.concurrency, ...(selection ? { selection } : {}) };
    let unreachable: string | undefined = offline ? 'offline (--offline)' : undefined;
    let plan: Awaited<ReturnType<typeof planRunbook>>;
    if (offline) plan = await planRunbook({ ...base, previews: false });
    else {
      const signal = AbortSignal.timeout(REACH_TIMEOUT_MS);
      let connection: Awaited<ReturnType<typeof openConnection>> | undefined;
      try {
        connection = await openConnection(cluster.connection, openManagement, signal);
        const kubeconfigPath = connection.kubeconfig ? path.resolve(io.cwd, connection.kubeconfig) : flags.kubeconfig ? path.resolve(io.cwd, flags.kubeconfig) : undefined;
        const kube = createKubeFactory({ kubeconfigPath, context: connection.context, env: io.env, clock, ...(impersonate ? { impersonate } : {}) });
        try {
          await (await kube()).request('/version', signal);
        } catch (error) {
          unreachable = `unreachable: ${signal.aborted ? `no answer within ${REACH_TIMEOUT_MS / 1000}s` : error instanceof Error ? error.message : String(error)}`;
        }
        const childEnv = prepareChildEnv({ env: io.env, kubeconfigPath, context: connection.context, ...(impersonate ? { impersonate } : {}) });
        try {
          plan = await planRunbook({ ...base, env: childEnv.env, ...(unreachable ? { previews: false } : { kube }) });
        } finally {
          childEnv.dispose();
        }
      } catch (error) {
        unreachable ??= `unreachable: ${error instanceof Error ? error.message : String(error)}`;
        plan = await planRunbook({ ...base, previews: false });
      } finally {
        connection?.dispose();
      }
    }
    deadlineMs ??= plan.deadline?.ms;
    const deadlines = [plan.deadline?.ms, cluster.deadlineMs].filter((d): d is number => d !== undefined);
    return {
      name: cluster.name,
      wave,
      worstCaseMs: plan.worstCaseMs,
      ...(deadlines.length > 0 ? { deadlineMs: Math.min(...deadlines) } : {}),
      // Offline or unreachable, every step's "unavailable" says the same: the group says why once.
      previews: unreachable ? [] : plan.steps.map((s) => (s.preview ? { step: s.id, summary: s.preview.summary } : { step: s.id, unavailable: s.previewUnavailable ?? 'no preview' })),
      ...(unreachable ? { unreachable } : {}),
      warnings: plan.warnings,
    };
  };

  const jobs = waves.flatMap((w) => w.clusters.map((c) => ({ cluster: c, wave: w.number })));
  const summaries: ClusterPlanSummary[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      summaries[i] = await planCluster(jobs[i]!.cluster, jobs[i]!.wave);
    }
  };
  await Promise.all(Array.from({ length: offline ? 1 : CLUSTER_CONCURRENCY }, worker));

  const strategy = fleet.strategy;
  const view: FleetPlanView = {
    fleet: { name: fleet.name, ...(fleet.file ? { file: fleet.file } : {}) },
    runbook: { name: prepared.runbook.metadata.name, file: prepared.runbook.file },
    strategy: { maxParallel: strategy.maxParallel, maxFailures: fleetArea.resolveFailureBudget(strategy.maxFailures, fleet.clusters.length), pause: describePause(strategy.pause) },
    offline,
    waves: waves.map((w) => ({ id: w.id, clusters: w.clusters.map((c) => c.name) })),
    clusters: summaries,
    groups: fleetArea.groupPreviews(summaries),
    rollout: fleetArea.rolloutWorstCase(summaries, strategy.maxParallel, strategy.pause),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    warnings: fleetArea.groupWarnings(summaries),
  };
  if (flags.output === 'json') io.stdout.write(`${escapeJsonControl(JSON.stringify(view, null, 2))}\n`);
  else io.stdout.write(`${formatFleetPlan(view).map((line) => escapeControl(line)).join('\n')}\n`);
  return 0;
}
