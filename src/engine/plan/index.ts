// `opsbook plan`: waves, effective policies, worst-case durations against the deadline, and read-only previews.
// Nothing here runs a shell step or sends a mutating request.

import type { KubeClient } from '../../k8s/types.js';
import type { Exec } from '../../proc/types.js';
import { formatDurationExact } from '../../time/duration.js';
import type { Runbook } from '../../runbook/types.js';
import type { StepRegistry } from '../../steps/registry.js';
import { systemClock, type Clock } from '../../time/clock.js';
import { describeDeadline, resolveDeadlineMs } from '../deadline.js';
import { createRedactor } from '../redact.js';
import { containsTemplate } from '../../expr/template.js';
import { computeWaves, findCriticalPath, topologicalOrder } from './graph.js';
import { runPreviewPool, type PreviewTask } from './pool.js';
import { previewStep, type PreviewScope } from './preview.js';
import { simulateWorstCase } from './simulate.js';
import { planStep, type PlanStep } from './step.js';
import { planSelection } from './selection.js';
import type { StepSelection } from '../selection/select.js';
import type { RunSelection } from '../events.js';
import { computeWorstCase } from './worst-case.js';
import { openKubeconfigLazily } from '../options.js';

export { KNOWN_AFTER_RUN } from './values.js';
export type { PlanStep } from './step.js';

export interface PlanOptions {
  runbook: Runbook;
  /** Resolved inputs (secrets included; they are only used, never shown). */
  inputs: Record<string, unknown>;
  registry: StepRegistry;
  secretValues?: readonly string[];
  /** @default systemClock */
  clock?: Clock;
  /** Cluster for previews; omitted → previews say "unavailable: no cluster configured". */
  kube?: () => Promise<KubeClient>;
  /** @default the Kubernetes client for that file, loaded on use */
  openKube?: (kubeconfigPath: string) => Promise<KubeClient>;
  /** For previews that read through a process (e.g. `openssl` over ssh); step plans are read-only by contract. @default execProcess */
  exec?: Exec;
  env?: Record<string, string | undefined>;
  cwd?: string;
  concurrency?: number;
  signal?: AbortSignal;
  /** Ask step types for live previews. @default true */
  previews?: boolean;
  /** Bound on one preview. @default 30000 */
  previewTimeoutMs?: number;
  /** `--only/--skip/--from [--from-run]` (selectSteps): the plan says which steps would run and which would be reused; worst cases count only the steps that would run. */
  selection?: StepSelection;
}

export interface RunbookPlan {
  runbook: { name: string; file: string; sha256: string };
  concurrency: number;
  deadline?: { source: string; ms: number };
  waves: string[][];
  steps: PlanStep[];
  criticalPath: { steps: string[]; worstCaseMs: number };
  /** Whole-run worst case honouring the concurrency limit (≥ the critical path). */
  worstCaseMs: number;
  warnings: string[];
  /** The partial run asked for, when one was. */
  selection?: RunSelection;
}

/** Builds the plan; throws only for a deadline that does not resolve (RunbookError), like a run would. */
export async function planRunbook(options: PlanOptions): Promise<RunbookPlan> {
  const { runbook } = options;
  const clock = options.clock ?? systemClock;
  const secrets = [...(options.secretValues ?? []), ...secretInputValues(runbook, options.inputs)];
  const redactor = createRedactor(secrets);
  const context = { inputs: options.inputs, steps: {}, run: { id: 'plan', startedAt: new Date(clock.now()).toISOString() } };
  const deadlineMs = resolveDeadlineMs(runbook, context);
  const order = topologicalOrder(runbook.steps);
  const { waves, waveOf } = computeWaves(runbook.steps, order);
  const worstCase = new Map(runbook.steps.map((step) => [step.id, computeWorstCase(step)]));
  // A partial run settles reused and unselected steps without running them (once their needs are done): they take no time.
  const runs = (id: string) => !options.selection?.settled.has(id);
  const runTime = new Map([...worstCase].map(([id, ms]) => [id, runs(id) ? ms : 0]));
  const longest = findCriticalPath(runbook.steps, runTime, order);
  const criticalPath = { steps: longest.steps.filter(runs), worstCaseMs: longest.worstCaseMs };
  const concurrency = options.concurrency ?? runbook.concurrency;
  const worstCaseMs = simulateWorstCase(runbook.steps, runTime, concurrency);
  const warnings: string[] = [];
  const scope: PreviewScope = {
    runId: 'plan',
    clock,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    kube: options.kube ?? noCluster,
    openKube: options.openKube ?? openKubeconfigLazily(clock),
    exec: options.exec ?? execLazily,
    redactor,
  };

  const steps: PlanStep[] = [];
  const previews: PreviewTask[] = [];
  for (const step of runbook.steps) {
    const planned = planStep(step, context, waveOf.get(step.id)!, worstCase.get(step.id)!, warnings);
    steps.push(planned);
    const stepType = options.registry.get(step.type);
    planned.mutating = stepType?.mutating ?? false;
    const selected = planSelection(step.id, options.selection);
    if (selected) planned.selection = selected;
    if (!stepType) planned.previewUnavailable = `unknown step type ${step.type}`;
    else if (selected?.action === 'reuse') planned.previewUnavailable = `would be reused from run ${selected.reusedFrom}`;
    else if (selected?.action === 'skip') planned.previewUnavailable = 'not selected: would not run';
    else if (planned.when?.result === false) planned.previewUnavailable = 'skipped: when is false';
    else if (planned.knownAfterRun.some((p) => p.startsWith('with'))) planned.previewUnavailable = 'parameters are known after run';
    else if (options.previews === false) planned.previewUnavailable = 'previews not requested';
    else if (!stepType.plan) planned.previewUnavailable = 'this step type has no preview';
    else {
      const params = planned.with;
      const templated = containsTemplate(step.with);
      previews.push(async (signal) => {
        const outcome = await previewStep(stepType, step.id, params, scope, signal, templated);
        if ('preview' in outcome) planned.preview = outcome.preview;
        else planned.previewUnavailable = outcome.unavailable;
      });
    }
    planned.with = redactor.data(planned.with);
  }
  await runPreviewPool(previews, {
    concurrency: PREVIEW_CONCURRENCY,
    timeoutMs: options.previewTimeoutMs ?? 30_000,
    signal: options.signal ?? new AbortController().signal,
  });

  const deadline = deadlineMs === undefined ? undefined : { source: runbook.deadline!, ms: deadlineMs };
  if (deadline && criticalPath.worstCaseMs > deadline.ms) {
    warnings.push(
      `worst case ${formatDurationExact(criticalPath.worstCaseMs)} along ${criticalPath.steps.join(' → ')} exceeds ` +
        `${describeDeadline(deadline)}: the run may be cut off by its deadline`,
    );
  } else if (deadline && worstCaseMs > deadline.ms) {
    warnings.push(
      `worst case ${formatDurationExact(worstCaseMs)} with concurrency ${concurrency} exceeds ${describeDeadline(deadline)} ` +
        '(the critical path alone fits): the run may be cut off by its deadline',
    );
  }
  return {
    runbook: { name: runbook.metadata.name, file: runbook.file, sha256: runbook.sha256 },
    concurrency,
    ...(deadline ? { deadline } : {}),
    waves,
    steps,
    criticalPath,
    worstCaseMs,
    warnings: warnings.map(redactor.text),
    ...(options.selection ? { selection: describeAsked(options.selection) } : {}),
  };
}

function describeAsked({ only, skip, from, fromRun }: StepSelection): RunSelection {
  return { ...(only ? { only } : {}), ...(skip ? { skip } : {}), ...(from ? { from } : {}), ...(fromRun ? { fromRun } : {}) };
}

function secretInputValues(runbook: Runbook, inputs: Record<string, unknown>): string[] {
  return Object.values(runbook.inputs)
    .filter((input) => input.type === 'secret')
    .map((input) => inputs[input.name])
    .filter((value): value is string => typeof value === 'string');
}

/** Previews read the cluster; a few at a time keeps a big runbook from flooding the API server. */
const PREVIEW_CONCURRENCY = 4;

async function noCluster(): Promise<KubeClient> {
  throw new Error('no cluster configured');
}

// execa is loaded only if a preview actually starts a process.
const execLazily: Exec = async (file, args, execOptions) => (await import('../../proc/exec.js')).execProcess(file, args, execOptions);
