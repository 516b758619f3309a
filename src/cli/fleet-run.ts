// `run --fleet` and `resume FLEET_ID`: each cluster gets a normal run (own run id, journal, claim, cluster lock,
// secrets) through runSessionOnCluster, scheduled in waves by src/fleet; the fleet record is kept in the FleetStore
// after every change, so an interrupted or crashed fleet run can be resumed.

import { setMaxListeners } from 'node:events';
import { Writable } from 'node:stream';
import { CancelledError, UsageError } from '../errors.js';
import type { ClusterRunResult, FleetEvent, Wave } from '../fleet/index.js';
import type { KubeClient } from '../k8s/types.js';
import type { FleetClusterRecord, FleetRecord, FleetStore, RunStore } from '../store/index.js';
import type { Clock } from '../time/clock.js';
import type { Renderer } from '../ui/renderer.js';
import type { StepSelection } from '../engine/index.js';
import { runSessionOnCluster, type ClusterEngineOptions } from './cluster-run.js';
import { createConfirm } from './confirm.js';
import { EXIT, exitCodeForSignal } from './exit.js';
import type { PreparedFleet } from './fleet-prepare.js';
import { openConnection } from './fleet-connection.js';
import { openKubeClient, type FleetTargetFlags } from './fleet-target.js';
import { installInterruptHandler } from './interrupt.js';
import { openFleetTraceFor } from './telemetry.js';
import type { FleetTrace } from '../telemetry/index.js';
import type { CliIo } from './io.js';
import { resolveColor, resolveOutputMode, type CommonFlags } from './options.js';
import { escapeControl } from '../ui/escape.js';

export interface FleetFlags extends CommonFlags, FleetTargetFlags {
  breakLock?: boolean;
  allowChanged?: boolean;
  /** Take over a fleet run (and its clusters' runs) claimed by a process on another host. */
  force?: boolean;
  /** `--report FILE [--report-format F]`: the fleet's report, written when the rollout ends (checked by the command first). */
  report?: string;
  reportFormat?: string;
}

interface FleetContext {
  io: CliIo;
  flags: FleetFlags;
  record: FleetRecord;
  prepared: PreparedFleet;
  stateDir: string;
  clock: Clock;
  runStore: RunStore;
  fleetStore: FleetStore;
  /** Where the fleet is kept, for messages: its state directory or kubernetes://NS (not stateDir, which a namespace's fleet also has). */
  where: string;
  /** The store each cluster's run is written through (its own in a namespace, see cli/fleet-state.ts). @default runStore */
  clusterStore?: () => Promise<{ store: RunStore; lost?: AbortSignal }>;
  /** Claims are leases (`--state kubernetes://`): --break-lock takes a cluster run's live claim over, as `resume` does. */
  leases?: boolean;
  /** Aborted when the fleet run's own claim is lost (its lease taken over): the rollout stops, another process continues it. */
  lost?: AbortSignal;
  selection?: StepSelection;
  resumed: boolean;
  /** rehearse: adds to a cluster's engine options (the rehearsal network, its simulated nodes, the contained processes). */
  engine?: (cluster: string, engine: ClusterEngineOptions) => ClusterEngineOptions;
  /** false: the fleet cannot be resumed (a rehearsal: its simulated clusters stop with it), so no resume hint. */
  resumable?: false;
  /** Clock of the reachability probe's timeout. @default clock (rehearse: real time, as the warm-up is off the scaled clock) */
  probeClock?: Clock;
  /** rehearse: each cluster's trace names the scenario and goes only to a loopback OTLP endpoint. */
  rehearsal?: { scenario: string };
}

/** The record's clusters as waves (by their recorded wave), keeping only those that have not succeeded. */
export function wavesToRun(record: FleetRecord): Wave<FleetClusterRecord>[] {
  const byWave = new Map<number, FleetClusterRecord[]>();
  for (const cluster of record.clusters) {
    if (cluster.status === 'succeeded') continue;
    byWave.set(cluster.wave, [...(byWave.get(cluster.wave) ?? []), cluster]);
  }
  return [...byWave.entries()].sort(([a], [b]) => a - b).map(([number, clusters]) => ({ number, id: `wave-${number}`, clusters }));
}

/** Starts (or resumes) the fleet's clusters and returns the exit code: 0 all succeeded, 1 any failed, 130 interrupted. */
export async function executeFleet(ctx: FleetContext): Promise<number> {
  const { io, flags, record, clock } = ctx;
  const [{ createFleetRenderer }, fleetArea, engine] = await Promise.all([import('../ui/fleet-renderer.js'), import('../fleet/index.js'), import('../engine/index.js')]);
  const color = resolveColor(flags.color, io.env, io.stdout.isTTY);
  if (!color) io.env.NO_COLOR = '1';
  const renderer = await createFleetRenderer({ mode: resolveOutputMode(flags.output, io.stdout.isTTY), stdout: io.stdout, stderr: io.stderr, color, clock });
  const controller = new AbortController();
  // Every running cluster listens on it: up to maxParallel listeners are expected, so Node must not call them a leak.
  setMaxListeners(record.strategy.maxParallel + 10, controller.signal);
  const notice = (text: string) => (renderer.notice ? renderer.notice(text) : void io.stderr.write(`\n${text}\n`));
  const interrupt = installInterruptHandler(controller, notice);
  // Stopped as Ctrl-C stops it (the clusters' runs interrupted, resumable), not failed: the new owner continues them.
  const onLost = () => {
    notice(`fleet run ${record.fleetId} stopped: ${errorText(ctx.lost!.reason)}; another process continues it`);
    controller.abort(new CancelledError(`fleet run ${record.fleetId} taken over`, 'interrupted'));
  };
  ctx.lost?.addEventListener('abort', onLost, { once: true });
  const confirm = createConfirm({ stdin: io.stdin, stderr: io.stderr });
  // Writes of the record are chained: one at a time, in order, the last one always the newest state.
  let saving: Promise<void> = Promise.resolve();
  // A failed write (disk full) must not crash the clusters' runs midway: kept, reported, and the fleet exits 1.
  const saved: { error?: unknown } = {};
  // A write not yet started takes the newest state when it starts, so saves asked meanwhile join it; it starts after
  // the events already due (setImmediate), so clusters changing at once share one (fsynced) write of the record.
  let queued: Promise<void> | undefined;
  const save = () => {
    // The process that took the fleet run over writes its record now: ours would overwrite it.
    if (ctx.lost?.aborted) return Promise.resolve();
    record.updatedAt = new Date(clock.now()).toISOString();
    if (queued) return queued;
    queued = saving
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        queued = undefined;
        return ctx.fleetStore.writeFleet(structuredClone(record));
      })
      .catch((error: unknown) => void (saved.error ??= error));
    saving = queued;
    return queued;
  };
  const byName = new Map(record.clusters.map((c) => [c.name, c]));
  const started = clock.now();
  // One trace for the fleet run (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT): its root span, a span per wave and per cluster, each cluster's run below.
  const trace = await openFleetTraceFor({
    env: io.env,
    stderr: io.stderr,
    secrets: [...new Set([...ctx.prepared.runs.values()].flatMap((run) => run.secretValues))],
    runbook: { path: record.runbook.path, sha256: ctx.prepared.runbook.sha256 },
    ...(ctx.rehearsal ? { rehearsal: ctx.rehearsal } : {}),
  });
  const emit = (event: FleetEvent) => {
    trace?.handle(event);
    renderer.handle(event);
  };
  const waves = wavesToRun(record);
  const management = memoize((kubeconfig?: string, context?: string) => openKubeClient(kubeconfig, context, io, clock));
  let ended = false;
  try {
    emit({
      type: 'fleet-start',
      time: new Date(started).toISOString(),
      fleetId: record.fleetId,
      fleet: record.fleet.name,
      runbook: record.runbook.name,
      waves: waves.map((w) => ({ id: w.id, clusters: w.clusters.map((c) => c.name) })),
      maxParallel: record.strategy.maxParallel,
      maxFailures: record.strategy.maxFailures,
      resumed: ctx.resumed,
    });
    record.status = 'running';
    delete record.reason;
    await save();
    // Without its record a fleet run could not be resumed: nothing starts.
    if (saved.error !== undefined) throw new UsageError(`cannot record fleet run ${record.fleetId}: ${errorText(saved.error)}`, { cause: saved.error });
    const outcome = await fleetArea.runFleetSchedule({
      waves,
      maxParallel: record.strategy.maxParallel,
      maxFailures: record.strategy.maxFailures,
      pause: record.strategy.pause,
      passedGates: new Set(record.passedGates),
      clock,
      signal: controller.signal,
      gate: async (wave, signal) => {
        if (flags.approve.includes(wave.id)) return { approved: true, by: '--approve' };
        const release = renderer.hold?.();
        try {
          return await confirm({ stepId: wave.id, message: `start ${wave.id} (${wave.clusters.length} cluster${wave.clusters.length === 1 ? '' : 's'})?`, signal });
        } finally {
          release?.();
        }
      },
      runCluster: (cluster, _wave, signal) => runCluster(ctx, cluster, signal, { emit, save, interrupt, management, createRunId: engine.createRunId, executeRunbook: engine.executeRunbook, resumeRunbook: engine.resumeRunbook, ...(trace ? { trace } : {}) }),
      onEvent: (event) => {
        if (event.type === 'wave-start' && !record.passedGates.includes(event.id)) record.passedGates.push(event.id);
        if (event.type === 'cluster-start') Object.assign(byName.get(event.cluster)!, { status: 'running' });
        if (event.type === 'cluster-end') {
          const cluster = byName.get(event.cluster)!;
          cluster.status = event.status;
          cluster.durationMs = event.durationMs;
          for (const key of ['failedStep', 'error'] as const) {
            if (event[key] !== undefined) cluster[key] = event[key];
            else delete cluster[key];
          }
        }
        emit(event);
        if (event.type !== 'cluster-start') void save();
      },
    });
    record.status = outcome.status;
    if (outcome.reason) record.reason = outcome.reason;
    await save();
    ended = true;
    const count = (status: FleetClusterRecord['status']) => record.clusters.filter((c) => c.status === status).length;
    emit({
      type: 'fleet-end',
      time: new Date(clock.now()).toISOString(),
      fleetId: record.fleetId,
      status: outcome.status,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      counts: { succeeded: count('succeeded'), failed: count('failed'), interrupted: count('interrupted') + count('running'), notStarted: count('pending') },
      durationMs: clock.now() - started,
      ...(ctx.resumable === false ? { resumable: false as const } : {}),
      failures: fleetArea.groupFailures(record.clusters.filter((c) => c.status === 'failed').map((c) => ({ cluster: c.name, ...(c.failedStep ? { failedStep: c.failedStep } : {}), ...(c.error ? { error: c.error } : {}) }))),
    });
    await saving;
    if (saved.error !== undefined) {
      io.stderr.write(`opsbook: cannot record fleet run ${record.fleetId}: ${escapeControl(errorText(saved.error))}\n`);
      if (outcome.status === 'succeeded') return EXIT.failed;
    }
    return outcome.status === 'succeeded' ? EXIT.ok : outcome.status === 'interrupted' && !ctx.lost?.aborted ? exitCodeForSignal(interrupt.received()) : EXIT.failed;
  } finally {
    await saving;
    await renderer.close();
    interrupt.remove();
    ctx.lost?.removeEventListener('abort', onLost);
    // Bounded (EXPORT_BOUND_MS), after the live view closed: a collector that is down neither holds the exit nor cuts its lines.
    await trace?.close(clock.now());
    // Once the live view is closed (its lines stay whole) and the record is final, whatever the outcome.
    if (ended && flags.report !== undefined) await writeFleetReport(ctx);
  }
}

/** The fleet's report (cluster × step matrix) from its record and its clusters' journals; a failure to write is said, not thrown. */
async function writeFleetReport(ctx: FleetContext): Promise<void> {
  const { resolveReportRequest, writeRunReport } = await import('./commands/report.js');
  const request = await resolveReportRequest(ctx.flags.report, ctx.flags.reportFormat, ctx.io.cwd);
  if (request) await writeRunReport(request, { runs: ctx.runStore, fleets: ctx.fleetStore, where: ctx.where }, ctx.record.fleetId, ctx.io);
}

interface ClusterDeps {
  emit: (event: FleetEvent) => void;
  save: () => Promise<void>;
  interrupt: { received(): NodeJS.Signals | undefined };
  management: (kubeconfig?: string, context?: string) => Promise<KubeClient>;
  createRunId: typeof import('../engine/index.js').createRunId;
  executeRunbook: typeof import('../engine/index.js').executeRunbook;
  resumeRunbook: typeof import('../engine/index.js').resumeRunbook;
  /** The fleet's trace: each cluster's run goes under its cluster span. */
  trace?: FleetTrace;
}

/** One cluster's run, as `opsbook run` (or `resume`, when it has one already) would do it, its events tagged with it. */
async function runCluster(ctx: FleetContext, cluster: FleetClusterRecord, signal: AbortSignal, deps: ClusterDeps): Promise<ClusterRunResult> {
  const { io, flags, clock, stateDir } = ctx;
  const prepared = ctx.prepared.runs.get(cluster.name);
  if (!prepared) throw new Error(`no inputs prepared for cluster ${cluster.name}`);
  const { store: runStore, lost: storeLost } = ctx.clusterStore ? await ctx.clusterStore() : { store: ctx.runStore, lost: undefined };
  const opened = cluster.runId !== undefined && (await runStore.has(cluster.runId));
  const resume = opened && (await runStore.read(cluster.runId!)).events.length > 0;
  // A run killed before its first event was stored (likelier in a namespace, where writes are requests) has nothing to
  // resume, and its claim may still be live: the cluster starts a new run under a new id.
  const runId = opened && !resume ? deps.createRunId(clock.now()) : (cluster.runId ?? deps.createRunId(clock.now()));
  // Recorded before the run starts: a crash from here on leaves the fleet pointing at the cluster's journal.
  cluster.runId = runId;
  await deps.save();
  let connection: Awaited<ReturnType<typeof openConnection>> | undefined;
  let failedStep: string | undefined;
  const renderer: Renderer = {
    handle(event) {
      if (event.type === 'step-end' && event.status === 'failed') failedStep ??= event.stepId;
      deps.emit({ type: 'cluster-event', time: event.time, cluster: cluster.name, event });
    },
    close: async () => {},
  };
  try {
    connection = await openConnection(cluster.connection, deps.management, signal);
    const { outcome } = await runSessionOnCluster({
      // What a cluster's session says on stderr (a lock taken over, a lost lease) names the cluster.
      io: { ...io, stderr: prefixLines(io.stderr, `[${escapeControl(cluster.name)}] `) },
      flags: { ...flags, kubeconfig: connection.kubeconfig, context: connection.context },
      prepared,
      runId,
      stateDir,
      store: runStore,
      ...(storeLost ? { storeLost } : {}),
      clock,
      renderer,
      interrupt: { signal, received: deps.interrupt.received },
      fleet: { id: ctx.record.fleetId, cluster: cluster.name },
      ...(deps.trace ? { trace: deps.trace.cluster(cluster.name, { ...(connection.context ? { context: connection.context } : {}), nowMs: clock.now() }) } : {}),
      ...(ctx.rehearsal ? { rehearsal: ctx.rehearsal } : {}),
      // An unreachable cluster fails at once with that reason, instead of retrying its first step's budget away.
      beforeStart: (kube) => probeCluster(kube, cluster.name, ctx.probeClock ?? clock, signal),
      start: async (given) => {
        const engine = ctx.engine ? ctx.engine(cluster.name, given) : given;
        if (!resume) return deps.executeRunbook(engine, ctx.selection);
        const claim = await runStore.claim(runId, { force: (flags.force ?? false) || (ctx.leases === true && (flags.breakLock ?? false)) });
        try {
          return await deps.resumeRunbook({ ...engine, allowChanged: flags.allowChanged ?? false, claim, force: flags.force ?? false, from: [], onNotice: (text) => void io.stderr.write(`[${escapeControl(cluster.name)}] ${escapeControl(text)}\n`) });
        } finally {
          await claim.release();
        }
      },
    });
    if (!outcome) throw new UsageError(`cluster ${cluster.name}: the run did not start`);
    return { status: outcome.status, runId, ...(failedStep ? { failedStep } : {}), ...(outcome.error ? { error: outcome.error } : {}) };
  } catch (error) {
    return { status: signal.aborted ? 'interrupted' : 'failed', runId, error: error instanceof Error ? error.message : String(error) };
  } finally {
    connection?.dispose();
  }
}

/** A stream that writes each line to `target` behind `prefix`. */
export function prefixLines(target: NodeJS.WritableStream, prefix: string): Writable {
  let atLineStart = true;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const text = String(chunk);
      let out = '';
      for (const part of text.split(/(?<=\n)/)) {
        if (part === '') continue;
        out += (atLineStart ? prefix : '') + part;
        atLineStart = part.endsWith('\n');
      }
      target.write(out);
      done();
    },
  });
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

const PROBE_TIMEOUT_MS = 15_000;

/** One GET /version through the run's own client (the connection its steps then reuse). */
async function probeCluster(kube: () => Promise<KubeClient>, name: string, clock: Clock, signal: AbortSignal): Promise<void> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const cancel = clock.timer(PROBE_TIMEOUT_MS, () => controller.abort(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000}s`)));
  let server = 'its API server';
  try {
    const client = await kube();
    server = client.server;
    await client.request('/version', controller.signal);
  } catch (error) {
    if (signal.aborted) throw error;
    const reason = controller.signal.aborted ? (controller.signal.reason as Error).message : error instanceof Error ? error.message : String(error);
    throw new Error(`cannot reach cluster ${name} (${server}): ${reason}`, { cause: error });
  } finally {
    cancel();
    signal.removeEventListener('abort', onAbort);
  }
}

/** One client per management cluster for the whole fleet run (it only serves Secrets; the clusters get their own). */
function memoize(open: (kubeconfig?: string, context?: string) => Promise<KubeClient>): (kubeconfig?: string, context?: string) => Promise<KubeClient> {
  const clients = new Map<string, Promise<KubeClient>>();
  return (kubeconfig, context) => {
    const key = `${kubeconfig ?? ''}\u0000${context ?? ''}`;
    let client = clients.get(key);
    if (!client) {
      client = open(kubeconfig, context);
      client.catch(() => clients.delete(key));
      clients.set(key, client);
    }
    return client;
  };
}
