// CEL over Kubernetes objects for k8s-get values and k8s-wait conditions, through the runbook engineer's src/expr.

import { StepError } from '../../errors.js';
import { checkCel, evaluateCel } from '../../expr/cel.js';
import type { KubeObject } from '../../k8s/types.js';
import type { ParamIssue } from '../types.js';

/** A compile error in `source` as a ParamIssue at `path`, for StepType.check. */
export function checkExpressionParam(path: string, source: unknown, variables: string[]): ParamIssue[] {
  if (typeof source !== 'string') return [];
  const error = checkCel(source, variables);
  return error ? [{ path, message: `invalid CEL: ${error}` }] : [];
}

/** A value for an output; an evaluation error is the step's failure (permanent: the data will not change). */
export function evaluateValue(source: string, variables: Record<string, unknown>, hint?: string): unknown {
  try {
    return evaluateCel(source, variables);
  } catch (error) {
    const message = (error as Error).message;
    const extra = hint && /unknown variable/i.test(message) ? ` (${hint})` : '';
    throw new StepError(`value \`${source}\`: ${message}${extra}`, { errorClass: 'permanent', cause: error });
  }
}

/**
 * A wait condition: true only for boolean true. A missing field (status not written yet) is "not yet", with the
 * reason kept for the detail line; a non-boolean result is a mistake in the runbook.
 */
export function evaluateCondition(source: string, object: KubeObject): { ok: boolean; why?: string } {
  let result: unknown;
  try {
    result = evaluateCel(source, { object });
  } catch (error) {
    return { ok: false, why: (error as Error).message };
  }
  if (typeof result !== 'boolean') {
    throw new StepError(`condition \`${source}\` must be a boolean, got ${JSON.stringify(result)}`, { errorClass: 'permanent' });
  }
  return { ok: result };
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
}

/** Short state of an object for progress and timeout messages: its conditions, else its phase, else its version. */
export function summarizeState(object: KubeObject): string {
  const status = (object.status ?? {}) as { conditions?: Condition[]; phase?: string };
  if (Array.isArray(status.conditions) && status.conditions.length > 0) {
    return status.conditions
      .map((c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}`)
      .join(', ');
  }
  if (status.phase) return `phase ${status.phase}`;
  return `resourceVersion ${object.metadata.resourceVersion ?? '?'}`;
}
