// The fleet scheduler: waves in order, at most maxParallel clusters at once, a failure budget, gates or pauses between
// waves, per-cluster deadlines and interruption. Pure: the per-cluster run, the clock and the gate are injected, and
// every cluster gets its own AbortController, so a failing or hanging cluster never holds another up.

import { CancelledError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { formatDurationExact } from '../time/duration.js';
import type { WavePause, Wave } from './types.js';

/** What became of one cluster's run. */
export interface ClusterRunResult {
  status: 'succeeded' | 'failed' | 'interrupted';
  runId?: string;
  /** The first step that failed, when one did. */
  failedStep?: string;
  error?: string;
}

/** The scheduler's own events (the clusters' engine events travel beside them, see events.ts). */
export type SchedulerEvent =
  | { type: 'wave-start'; wave: number; id: string; clusters: string[] }
  | { type: 'wave-pause'; wave: number; id: string; ms: number }
  | { type: 'wave-gate'; wave: number; id: string; state: 'waiting' | 'approved' | 'declined'; by?: string }
  | { type: 'cluster-start'; cluster: string; wave: number }
  | ({ type: 'cluster-end'; cluster: string; wave: number; durationMs: number } & ClusterRunResult)
  | { type: 'budget-exceeded'; failures: number; maxFailures: number }
  | { type: 'wave-end'; wave: number; id: string; succeeded: number; failed: number; interrupted: number; notStarted: number };

export interface ScheduledCluster {
  name: string;
  deadlineMs?: number;
}

export interface SchedulerOptions<T extends ScheduledCluster> {
  waves: Wave<T>[];
  maxParallel: number;
  /** Failed clusters tolerated; one more stops the rollout. */
  maxFailures: number;
  pause: WavePause;
  /** Waves whose gate or pause was already passed (a resumed fleet does not ask again). */
  passedGates?: ReadonlySet<string>;
  /** Asks whether the wave may start (manual pause); a throw declines with its message. */
  gate: (wave: Wave<T>, signal: AbortSignal) => Promise<{ approved: boolean; by: string }>;
  /** Runs one cluster; `signal` aborts on interruption or the cluster's deadline. A throw counts as a failure. */
  runCluster: (cluster: T, wave: Wave<T>, signal: AbortSignal) => Promise<ClusterRunResult>;
  clock: Clock;
  signal: AbortSignal;
  onEvent: (event: SchedulerEvent & { time: string }) => void;
}

export interface FleetOutcome {
  status: 'succeeded' | 'failed' | 'interrupted';
  /** Why the rollout stopped early (budget, a declined gate). */
  reason?: string;
  failures: number;
  /** Clusters that ran, by name; those absent never started. */
  results: Map<string, ClusterRunResult>;
}

/** Runs the waves; resolves when every started cluster has ended. */
export async function runFleetSchedule<T extends ScheduledCluster>(options: SchedulerOptions<T>): Promise<FleetOutcome> {
  const { clock, signal } = options;
  const emit = (event: SchedulerEvent) => options.onEvent({ ...event, time: new Date(clock.now()).toISOString() });
  const results = new Map<string, ClusterRunResult>();
  let failures = 0;
  let stopReason: string | undefined;

  const runOne = async (cluster: T, wave: Wave<T>): Promise<void> => {
    const started = clock.now();
    emit({ type: 'cluster-start', cluster: cluster.name, wave: wave.number });
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let deadlineHit = false;
    const cancelDeadline =
      cluster.deadlineMs === undefined
        ? () => {}
        : clock.timer(cluster.deadlineMs, () => {
            deadlineHit = true;
            controller.abort(new CancelledError(`cluster deadline ${formatDurationExact(cluster.deadlineMs!)} exceeded`, 'deadline'));
          });
    let result: ClusterRunResult;
    try {
      result = await options.runCluster(cluster, wave, controller.signal);
    } catch (error) {
      result = { status: signal.aborted ? 'interrupted' : 'failed', error: error instanceof Error ? error.message : String(error) };
    } finally {
      cancelDeadline();
      signal.removeEventListener('abort', onAbort);
    }
    if (deadlineHit && result.status !== 'succeeded') result = { ...result, status: 'failed', error: `cluster deadline ${formatDurationExact(cluster.deadlineMs!)} exceeded` };
    results.set(cluster.name, result);
    emit({ type: 'cluster-end', cluster: cluster.name, wave: wave.number, durationMs: clock.now() - started, ...result });
    if (result.status !== 'failed') return;
    failures++;
    if (failures > options.maxFailures && stopReason === undefined) {
      stopReason = `failure budget exceeded: ${failures} failed cluster${failures === 1 ? '' : 's'}, ${options.maxFailures} tolerated`;
      emit({ type: 'budget-exceeded', failures, maxFailures: options.maxFailures });
    }
  };

  const runWave = async (wave: Wave<T>): Promise<void> => {
    emit({ type: 'wave-start', wave: wave.number, id: wave.id, clusters: wave.clusters.map((c) => c.name) });
    const queue = [...wave.clusters];
    const running = new Set<Promise<void>>();
    while (queue.length > 0 && stopReason === undefined && !signal.aborted) {
      while (running.size < options.maxParallel && queue.length > 0 && stopReason === undefined && !signal.aborted) {
        const task: Promise<void> = runOne(queue.shift()!, wave).finally(() => running.delete(task));
        running.add(task);
      }
      if (running.size > 0) await Promise.race(running);
    }
    await Promise.all(running);
    const statuses = wave.clusters.map((c) => results.get(c.name)?.status);
    emit({
      type: 'wave-end',
      wave: wave.number,
      id: wave.id,
      succeeded: statuses.filter((s) => s === 'succeeded').length,
      failed: statuses.filter((s) => s === 'failed').length,
      interrupted: statuses.filter((s) => s === 'interrupted').length,
      notStarted: statuses.filter((s) => s === undefined).length,
    });
  };

  const passGate = async (wave: Wave<T>): Promise<void> => {
    if (options.pause.kind === 'delay') {
      emit({ type: 'wave-pause', wave: wave.number, id: wave.id, ms: options.pause.ms });
      await clock.sleep(options.pause.ms, signal).catch(() => undefined);
      return;
    }
    if (options.pause.kind !== 'manual') return;
    emit({ type: 'wave-gate', wave: wave.number, id: wave.id, state: 'waiting' });
    try {
      const answer = await options.gate(wave, signal);
      emit({ type: 'wave-gate', wave: wave.number, id: wave.id, state: answer.approved ? 'approved' : 'declined', by: answer.by });
      if (!answer.approved) stopReason = `${wave.id} was not approved (by ${answer.by})`;
    } catch (error) {
      if (signal.aborted) return;
      emit({ type: 'wave-gate', wave: wave.number, id: wave.id, state: 'declined' });
      stopReason = error instanceof Error ? error.message : String(error);
    }
  };

  for (const wave of options.waves) {
    if (stopReason !== undefined || signal.aborted) break;
    if (wave.number > 1 && !options.passedGates?.has(wave.id)) await passGate(wave);
    if (stopReason !== undefined || signal.aborted) break;
    await runWave(wave);
  }
  const interrupted = signal.aborted || [...results.values()].some((r) => r.status === 'interrupted');
  const status = interrupted ? 'interrupted' : failures > 0 || stopReason !== undefined ? 'failed' : 'succeeded';
  return { status, failures, results, ...(stopReason !== undefined ? { reason: stopReason } : {}) };
}
