// A step's read-only preview for `opsbook plan`: any failure becomes "unavailable: reason", never a plan error.

import { StepError } from '../../errors.js';
import type { KubeClient } from '../../k8s/types.js';
import type { Exec } from '../../proc/types.js';
import { validateStepParams } from '../../runbook/params.js';
import { raceAbort } from '../../time/abort.js';
import type { AnyStepType, PlanPreview } from '../../steps/types.js';
import type { Clock } from '../../time/clock.js';
import type { Redactor } from '../redact.js';

export interface PreviewScope {
  runId: string;
  clock: Clock;
  env: Record<string, string | undefined>;
  cwd: string;
  kube: () => Promise<KubeClient>;
  openKube: (kubeconfigPath: string) => Promise<KubeClient>;
  exec: Exec;
  redactor: Redactor;
}

export type PreviewOutcome = { preview: PlanPreview } | { unavailable: string };

export async function previewStep(
  stepType: AnyStepType,
  stepId: string,
  params: Record<string, unknown>,
  scope: PreviewScope,
  signal: AbortSignal,
  /** true when `params` came out of `${{ }}` templates, which validation could not see; literal ones passed already. */
  templated = true,
): Promise<PreviewOutcome> {
  if (!stepType.plan) return { unavailable: 'this step type has no preview' };
  const issues = templated ? validateStepParams(stepType, params) : [];
  if (issues.length > 0) {
    return { unavailable: `invalid parameters: ${issues.map((i) => `with${i.path ? `.${i.path}` : ''}: ${i.message}`).join('; ')}` };
  }
  try {
    const normalized = stepType.normalize ? stepType.normalize(params) : params;
    // A preview that ignores its signal must not hold up the plan.
    const preview = await raceAbort(stepType.plan(normalized, {
      runId: scope.runId,
      stepId,
      signal,
      clock: scope.clock,
      env: scope.env,
      cwd: scope.cwd,
      kube: scope.kube,
      openKube: scope.openKube,
      exec: (file, args, execOptions) => scope.exec(file, args, { signal, ...execOptions }),
      redact: scope.redactor.text,
    }), signal);
    return { preview: scope.redactor.strings(preview) };
  } catch (error) {
    const reason = signal.aborted && !(error instanceof StepError) ? signal.reason : error;
    return { unavailable: scope.redactor.text(reason instanceof Error ? reason.message : String(reason)) };
  }
}
