// Runs CSR steps against a real simulated cluster through the real Kubernetes client: no mocks, only a hand-built
// StepContext (what the engine would pass) that records progress lines and report tables.

import { createKubeClient } from '../../../src/k8s/client.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import type { ReportTable } from '../../../src/engine/events.js';
import { startSimulation, type Simulation } from '../../../src/sim/index.js';
import type { ScenarioInput } from '../../../src/sim/index.js';
import type { AnyStepType, StepContext } from '../../../src/steps/types.js';
import { openKubeconfigLazily } from '../../../src/engine/options.js';

export interface Cluster {
  sim: Simulation;
  kube: KubeClient;
  stop(): Promise<void>;
}

export async function startCluster(scenario: string | ScenarioInput, timeScale?: number): Promise<Cluster> {
  const sim = await startSimulation({ scenario, timeScale });
  const kube = await createKubeClient({ kubeconfigPath: sim.kubeconfigPath, clock: sim.clock });
  return { sim, kube, stop: () => sim.stop() };
}

export interface StepRun<O> {
  outputs?: O;
  error?: Error & { errorClass?: string; details?: unknown };
  progress: string[];
  /** ctx.log lines (what the journal and the live log would show). */
  logs: string[];
  reports: ReportTable[];
}

/** Validate-free run of one step the way the engine calls it: check → normalize → run with a deadline. */
export async function runStep<O>(
  step: AnyStepType,
  params: Record<string, unknown>,
  cluster: Cluster,
  options: {
    timeoutMs?: number;
    runId?: string;
    stepId?: string;
    attempt?: number;
    progress?: string[];
    logs?: string[];
    /** Wraps the step's (real) client, e.g. to observe its calls. */
    wrapKube?: (kube: KubeClient) => KubeClient;
  } = {},
): Promise<StepRun<O>> {
  const issues = step.check?.(params) ?? [];
  if (issues.length > 0) throw new Error(`bad params: ${JSON.stringify(issues)}`);
  const normalized = step.normalize ? step.normalize(params) : params;
  // Pass your own arrays to watch progress and logs while the step runs.
  const progress: string[] = options.progress ?? [];
  const logs: string[] = options.logs ?? [];
  const reports: ReportTable[] = [];
  const clock = cluster.sim.clock;
  const controller = new AbortController();
  // A client per step run: steps of one client share informers, and these tests change the cluster between steps.
  const real = createKubeClient({ kubeconfigPath: cluster.sim.kubeconfigPath, clock });
  const kube = options.wrapKube ? real.then(options.wrapKube) : real;
  const ctx: StepContext = {
    runId: options.runId ?? 'test-run',
    stepId: options.stepId ?? step.type,
    attempt: options.attempt ?? 1,
    signal: controller.signal,
    clock,
    deadline: clock.now() + (options.timeoutMs ?? 600_000),
    progress: (line) => progress.push(line),
    log: (line) => logs.push(line),
    report: (table) => reports.push(table),
    env: {},
    cwd: process.cwd(),
    kube: () => kube,
    openKube: openKubeconfigLazily(clock),
    exec: () => {
      throw new Error('no processes in CSR steps');
    },
    redact: (text) => text,
    secrets: [],
    confirm: async () => ({ approved: false, by: 'test' }),
    stateDir: '/nonexistent',
  };
  try {
    return { outputs: (await step.run(normalized, ctx)) as O, progress, logs, reports };
  } catch (error) {
    return { error: error as StepRun<O>['error'], progress, logs, reports };
  } finally {
    controller.abort();
  }
}

export async function planStep(step: AnyStepType, params: Record<string, unknown>, cluster: Cluster, runId = 'plan-run') {
  const normalized = step.normalize ? step.normalize(params) : params;
  return step.plan!(normalized, {
    runId,
    stepId: step.type,
    signal: new AbortController().signal,
    clock: cluster.sim.clock,
    env: {},
    cwd: process.cwd(),
    kube: async () => cluster.kube,
    openKube: openKubeconfigLazily(cluster.sim.clock),
    exec: () => {
      throw new Error('plan runs no process');
    },
    redact: (text) => text,
  });
}

/** Machine entries for an in-code scenario. */
export function worker(name: string, ip: string, extra: Partial<NonNullable<ScenarioInput['machines']>[number]> = {}) {
  return {
    name,
    addresses: [
      { type: 'InternalIP' as const, address: ip },
      { type: 'Hostname' as const, address: name },
    ],
    ...extra,
  };
}
