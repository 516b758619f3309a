// Starts the simulated API server and connects the real client to it over HTTPS; builds step contexts for k8s step tests.

import { afterAll, beforeAll } from 'vitest';
import { createKubeClient } from '../../src/k8s/client.js';
import type { KubeClient, KubeObject } from '../../src/k8s/types.js';
import { startSimulation } from '../../src/sim/index.js';
import type { ScenarioInput } from '../../src/sim/scenario/input.js';
import { normalizeScenario } from '../../src/sim/scenario/normalize.js';
import type { ReportTable } from '../../src/engine/events.js';
import type { PlanContext, StepContext } from '../../src/steps/types.js';
import type { Clock } from '../../src/time/clock.js';
import { openKubeconfigLazily } from '../../src/engine/options.js';

export type Simulation = Awaited<ReturnType<typeof startSimulation>>;

export interface TestCluster {
  sim: Simulation;
  kube: KubeClient;
  /** A second client (e.g. another "run"). */
  connect(clock?: Clock): Promise<KubeClient>;
  /** The cluster-wide resourceVersion: unchanged ⇔ nothing was stored. */
  clusterResourceVersion(): Promise<string>;
  /** Request counters by "verb resource". */
  counters(): Record<string, number>;
  stop(): Promise<void>;
}

export async function startTestCluster(input: Partial<ScenarioInput> = {}): Promise<TestCluster> {
  const scenario = normalizeScenario({ name: 'k8s-tests', flavour: 'kubernetes', timeScale: 1, ...input });
  const sim = await startSimulation({ scenario });
  const connect = (clock?: Clock) => createKubeClient({ kubeconfig: sim.kubeconfig, clock: clock ?? sim.clock });
  const kube = await connect();
  return {
    sim,
    kube,
    connect,
    async clusterResourceVersion() {
      // a namespace list is cheap and carries the store's current resourceVersion
      return (await kube.list('v1', 'Namespace')).resourceVersion;
    },
    counters: () => sim.counters(),
    stop: () => sim.stop(),
  };
}

/**
 * One cluster for the whole test file (started before its first test, stopped after its last) and namespaces made
 * fresh in it (`<prefix>-1`, `<prefix>-2`, …), so a test's objects are its own. `cluster` reaches the running one.
 */
export function useTestCluster(prefix: string, input: Partial<ScenarioInput> = {}): { cluster: TestCluster; freshNamespace(): Promise<string> } {
  let started: TestCluster | undefined;
  let namespaces = 0;
  beforeAll(async () => {
    started = await startTestCluster(input);
  });
  afterAll(async () => {
    await started?.stop();
  });
  const now = (): TestCluster => {
    if (!started) throw new Error('useTestCluster: the cluster starts in beforeAll');
    return started;
  };
  const cluster: TestCluster = {
    get sim() {
      return now().sim;
    },
    get kube() {
      return now().kube;
    },
    connect: (clock) => now().connect(clock),
    clusterResourceVersion: () => now().clusterResourceVersion(),
    counters: () => now().counters(),
    stop: () => now().stop(),
  };
  return {
    cluster,
    async freshNamespace() {
      const name = `${prefix}-${++namespaces}`;
      await now().kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
  };
}

/** Requests whose verb mutates (counted by the sim per "verb resource"). */
export function mutatingCounts(counters: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counters).filter(([key]) => /^(create|update|patch|delete|deletecollection) /.test(key)));
}

export interface Recorded {
  progress: string[];
  logs: string[];
  reports: ReportTable[];
}

/** A StepContext wired to a real client; records what the step shows. */
export function createStepContext(
  kube: KubeClient,
  options: { clock: Clock; timeoutMs?: number; cwd?: string; signal?: AbortSignal; stepId?: string; attempt?: number },
): { ctx: StepContext; recorded: Recorded; abort(reason?: unknown): void } {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const recorded: Recorded = { progress: [], logs: [], reports: [] };
  const ctx: StepContext = {
    runId: 'test-run',
    stepId: options.stepId ?? 'step',
    attempt: options.attempt ?? 1,
    signal,
    clock: options.clock,
    deadline: options.clock.now() + (options.timeoutMs ?? 60_000),
    progress: (d) => recorded.progress.push(d),
    log: (line) => recorded.logs.push(line),
    report: (t) => recorded.reports.push(t),
    env: {},
    cwd: options.cwd ?? process.cwd(),
    kube: async () => kube,
    openKube: openKubeconfigLazily(options.clock),
    exec: () => {
      throw new Error('k8s steps run no processes');
    },
    redact: (t) => t,
    secrets: [],
    confirm: async () => {
      throw new Error('no terminal');
    },
    stateDir: '/nonexistent',
  };
  return { ctx, recorded, abort: (reason) => controller.abort(reason) };
}

export function createPlanContext(kube: KubeClient, clock: Clock, cwd = process.cwd()): PlanContext {
  return {
    runId: 'plan', stepId: 'step', signal: new AbortController().signal, clock, env: {}, cwd,
    kube: async () => kube,
    openKube: openKubeconfigLazily(clock),
    exec: () => {
      throw new Error('k8s steps run no processes');
    },
    redact: (t) => t,
  };
}

export function configMap(name: string, data: Record<string, string>, namespace = 'default', labels?: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...(labels ? { labels } : {}) }, data };
}
