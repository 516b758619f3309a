// One step as `opsbook plan` shows it: its policies and worst case, its parameters as far as they are known, its `when`.

import type { RetryPolicy, StepSpec } from '../../runbook/types.js';
import type { PlanPreview } from '../../steps/types.js';
import { planWhen, resolvePlanValue, type PlannedWhen } from './values.js';
import type { PlannedSelection } from './selection.js';

export interface PlanStep {
  id: string;
  name: string;
  type: string;
  needs: string[];
  wave: number;
  mutating: boolean;
  always: boolean;
  continueOnError: boolean;
  /** Per attempt. */
  timeoutMs: number;
  retry: RetryPolicy;
  /** All attempts time out and every backoff is at its longest, capped by retry.maxDuration. */
  worstCaseMs: number;
  when?: PlannedWhen;
  /** Parameters with inputs resolved; values only a run can produce read "(known after run)". */
  with: Record<string, unknown>;
  /** Paths inside `with`/`env` that are known after run. */
  knownAfterRun: string[];
  preview?: PlanPreview;
  /** Why there is no preview (no cluster, no preview for this type, error …). */
  previewUnavailable?: string;
  /** With --only/--skip: would it run, be reused (--from-run), or be skipped. Absent: every step would run. */
  selection?: PlannedSelection;
}

/** Resolves what inputs can tell; anything that needs a real run is marked, never guessed. Problems go to `warnings`. */
export function planStep(
  step: StepSpec,
  context: Parameters<typeof planWhen>[1],
  wave: number,
  worstCaseMs: number,
  warnings: string[],
): PlanStep {
  const knownAfterRun: string[] = [];
  const errors: string[] = [];
  const params = resolvePlanValue(step.with, context, 'with', knownAfterRun, errors) as Record<string, unknown>;
  resolvePlanValue(step.env, context, 'env', knownAfterRun, errors);
  const when = step.when === undefined ? undefined : planWhen(step.when, context);
  for (const error of errors) warnings.push(`step ${step.id}: ${error}`);
  if (when?.result === 'undetermined' && when.reason && !when.reason.startsWith('depends on')) {
    warnings.push(`step ${step.id}: when: ${when.reason}`);
  }
  return {
    id: step.id,
    name: step.name,
    type: step.type,
    needs: step.needs,
    wave,
    mutating: false,
    always: step.always,
    continueOnError: step.continueOnError,
    timeoutMs: step.timeoutMs,
    retry: step.retry,
    worstCaseMs,
    ...(when ? { when } : {}),
    with: params,
    knownAfterRun,
  };
}
