// A StepContext for calling StepType.run directly (until the engine runs them), recording what the step shows.

import type { ReportTable } from '../../../src/engine/events.js';
import { StepError } from '../../../src/errors.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import { validateStepParams } from '../../../src/runbook/params.js';
import type { AnyStepType, PlanContext, PlanPreview, StepContext } from '../../../src/steps/types.js';
import { VirtualClock, type Clock } from '../../../src/time/clock.js';
import { openKubeconfigLazily } from '../../../src/engine/options.js';

export interface Recorded {
  progress: string[];
  logs: string[];
  reports: ReportTable[];
}

export interface TestContextOptions {
  clock?: Clock;
  kube?: KubeClient;
  /** Attempt deadline relative to the clock's now. @default Infinity */
  timeoutMs?: number;
  secrets?: string[];
  signal?: AbortSignal;
}

function maskSecrets(secrets: readonly string[]): (text: string) => string {
  return (text) => secrets.reduce((out, s) => (s ? out.split(s).join('***') : out), text);
}

export function createTestContext(options: TestContextOptions = {}): { ctx: StepContext; recorded: Recorded } {
  const clock = options.clock ?? new VirtualClock();
  const recorded: Recorded = { progress: [], logs: [], reports: [] };
  const secrets = options.secrets ?? [];
  const ctx: StepContext = {
    runId: 'test-run',
    stepId: 'under-test',
    attempt: 1,
    signal: options.signal ?? new AbortController().signal,
    clock,
    deadline: options.timeoutMs === undefined ? Infinity : clock.now() + options.timeoutMs,
    progress: (detail) => recorded.progress.push(detail),
    log: (line) => recorded.logs.push(line),
    report: (table) => recorded.reports.push(table),
    env: {},
    cwd: process.cwd(),
    openKube: openKubeconfigLazily(clock),
    kube: async () => {
      if (!options.kube) throw new Error('no cluster in this test');
      return options.kube;
    },
    exec: async () => {
      throw new Error('exec not available in this test');
    },
    redact: maskSecrets(secrets),
    secrets,
    confirm: async () => ({ approved: true, by: 'test' }),
    stateDir: '/nonexistent',
  };
  return { ctx, recorded };
}

export function createPlanContext(kube: KubeClient, clock: Clock = new VirtualClock()): PlanContext {
  return {
    runId: 'test-run',
    stepId: 'under-test',
    signal: new AbortController().signal,
    clock,
    env: {},
    cwd: process.cwd(),
    kube: async () => kube,
    openKube: openKubeconfigLazily(clock),
    exec: async () => {
      throw new Error('exec not available in plan');
    },
    redact: (t) => t,
  };
}

/** What the engine does before run(): schema + check() (validation), then normalize(). Throws a StepError listing the issues. */
export function prepareParams<P>(step: AnyStepType, raw: Record<string, unknown>): P {
  const issues = validateStepParams(step, raw);
  if (issues.length > 0) {
    throw new StepError(issues.map((i) => `${i.path}: ${i.message}`).join('\n'), { errorClass: 'permanent', details: issues });
  }
  return (step.normalize ? step.normalize(raw) : raw) as P;
}

export async function runStep(step: AnyStepType, raw: Record<string, unknown>, ctx: StepContext): Promise<Record<string, unknown>> {
  return step.run(prepareParams(step, raw), ctx) as Promise<Record<string, unknown>>;
}

export async function planStep(step: AnyStepType, raw: Record<string, unknown>, ctx: PlanContext): Promise<PlanPreview> {
  return step.plan!(prepareParams(step, raw), ctx);
}
