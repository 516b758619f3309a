// What `run`, `resume` and `rehearse` share: the cluster the flags name (client and scripts alike), the session around
// the engine (renderer, Ctrl-C, gates, lock), and the engine options every run gets.

import path from 'node:path';
import type { ExecuteOptions } from '../engine/options.js';
import type { RunStore } from '../store/index.js';
import type { Clock } from '../time/clock.js';
import { prepareChildEnv } from './child-env.js';
import { EXIT } from './exit.js';
import { escapeControl } from '../ui/escape.js';
import type { CliIo } from './io.js';
import { createKubeFactory } from './kube.js';
import { impersonationOf, resolveColor, resolveOutputMode, type CommonFlags } from './options.js';
import type { PreparedRun } from './prepare.js';
import type { Renderer } from '../ui/renderer.js';
import type { KubeClient } from '../k8s/types.js';
import { runSession, type RunOutcome, type SessionOptions } from './session.js';
import { openTrace, traceServer } from './telemetry.js';
import type { RunTrace } from '../telemetry/index.js';

/** The engine options a run and a resume have in common, ready to spread into executeRunbook/resumeRunbook. */
export type ClusterEngineOptions = ExecuteOptions & { runId: string; stateDir: string };

export interface ClusterRunOptions {
  io: CliIo;
  flags: CommonFlags & { breakLock?: boolean };
  prepared: PreparedRun;
  runId: string;
  stateDir: string;
  /** Where the run is kept. @default the local store on `stateDir` (the engine's default) */
  store?: RunStore;
  /** Aborted when the store loses the run's claim (a cluster lease taken over): the run stops, reported as such. */
  storeLost?: AbortSignal;
  clock: Clock;
  start: (engine: ClusterEngineOptions) => Promise<RunOutcome>;
  /** Renderer to use instead of the output mode's (rehearse --output json prints only its report). */
  renderer?: Renderer;
  /** The caller's interruption instead of the session's own Ctrl-C handler (a fleet run has one for all its clusters). */
  interrupt?: SessionOptions['interrupt'];
  /** Called with the client factory before the session starts (rehearse warms the connection up off the clock). */
  beforeStart?: (kube: () => Promise<KubeClient>) => Promise<void>;
  /** A fleet run's cluster: recorded on the run's trace (when OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT asks for one). */
  fleet?: { id: string; cluster: string };
  /** The fleet's trace for this cluster's run (under its cluster span): used instead of a trace of the run's own. */
  trace?: RunTrace;
  /** A rehearsal: its scenario is recorded on the trace, which is exported only to a loopback endpoint. */
  rehearsal?: { scenario: string };
}

/** Runs `start` inside a session against the flags' cluster; returns the exit code. */
export async function runOnCluster(options: ClusterRunOptions): Promise<number> {
  return (await runSessionOnCluster(options)).exitCode;
}

/** runOnCluster, also returning the engine's outcome (rehearse reports it). */
export async function runSessionOnCluster(options: ClusterRunOptions): Promise<{ exitCode: number; outcome?: RunOutcome }> {
  const { io, flags, prepared, runId, stateDir, clock } = options;
  const kubeconfigPath = flags.kubeconfig ? path.resolve(io.cwd, flags.kubeconfig) : undefined;
  const trace =
    options.trace ??
    (await openTrace({
      env: io.env,
      stderr: io.stderr,
      secrets: prepared.secretValues,
      ...(flags.context ? { context: flags.context } : {}),
      ...(options.fleet ? { fleet: options.fleet } : {}),
      ...(options.rehearsal ? { rehearsal: options.rehearsal } : {}),
    }));
  const clusterKube = createKubeFactory({ kubeconfigPath, context: flags.context, env: io.env, clock, impersonate: impersonationOf(flags) });
  const kube = trace ? traceServer(clusterKube, trace) : clusterKube;
  // Shell steps' kubectl must reach the cluster --context chose, as the identity --as names, like built-in steps do.
  const childEnv = prepareChildEnv({ env: io.env, kubeconfigPath, context: flags.context, impersonate: impersonationOf(flags) });
  try {
    await options.beforeStart?.(kube);
    const result = await runSession({
      io,
      runbook: prepared.runbook,
      runId,
      clock,
      mode: resolveOutputMode(flags.output, io.stdout.isTTY),
      color: resolveColor(flags.color, io.env, io.stdout.isTTY),
      kube,
      approvals: flags.approve,
      breakLock: flags.breakLock ?? false,
      stateDir,
      ...(options.renderer ? { renderer: options.renderer } : {}),
      ...(options.interrupt ? { interrupt: options.interrupt } : {}),
      ...(trace ? { onEvent: (event) => trace.handle(event) } : {}),
      start: (ui) =>
        options.start({
          ...ui,
          ...(options.storeLost ? { signal: AbortSignal.any([ui.signal!, options.storeLost]) } : {}),
          runId,
          runbook: prepared.runbook,
          inputs: prepared.inputs,
          secretValues: prepared.secretValues,
          registry: prepared.registry,
          stateDir,
          ...(options.store ? { store: options.store } : {}),
          clock,
          kube,
          env: childEnv.env,
          cwd: io.cwd,
          concurrency: flags.concurrency,
        }),
    });
    if (options.storeLost?.aborted && result.outcome?.status !== 'succeeded') {
      const reason = options.storeLost.reason instanceof Error ? options.storeLost.reason.message : String(options.storeLost.reason);
      io.stderr.write(`opsbook: run stopped as interrupted: ${escapeControl(reason)}; another process continues it\n`);
      return { ...result, exitCode: EXIT.failed };
    }
    return result;
  } finally {
    childEnv.dispose();
    // Bounded (EXPORT_BOUND_MS): a collector that is down never holds the run's exit longer than that.
    await trace?.close(clock.now());
  }
}
