// Plan-time values: what can be known before running (inputs) is resolved; what only a run can produce is marked.

import { compileExpression } from '../../expr/cel.js';
import { type ExprContext, evaluateWhen, getWhenExpression, isTemplate, parseTemplate, resolveTemplates } from '../../expr/template.js';

/** Shown wherever a value depends on outputs or statuses of steps that have not run. */
export const KNOWN_AFTER_RUN = '(known after run)';

function readsSteps(source: string): boolean {
  return compileExpression(source).references.some((ref) => ref.root === 'steps');
}

function stringReadsSteps(text: string): boolean {
  return parseTemplate(text).some((part) => part.kind === 'expr' && readsSteps(part.source));
}

/**
 * Resolves templates that only read inputs/run; values reading `steps` become KNOWN_AFTER_RUN and their paths are
 * listed in `unknown` (dot paths inside the value). Expression errors are collected, never thrown.
 */
export function resolvePlanValue(
  value: unknown,
  context: ExprContext,
  path: string,
  unknown: string[],
  errors: string[],
): unknown {
  if (typeof value === 'string') {
    if (!isTemplate(value)) return value;
    try {
      if (stringReadsSteps(value)) {
        unknown.push(path);
        return KNOWN_AFTER_RUN;
      }
      return resolveTemplates(value, context);
    } catch (error) {
      errors.push(`${path}: ${(error as Error).message}`);
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((item, i) => resolvePlanValue(item, context, `${path}[${i}]`, unknown, errors));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolvePlanValue(item, context, `${path}.${key}`, unknown, errors);
    return out;
  }
  return value;
}

export interface PlannedWhen {
  source: string;
  result: boolean | 'undetermined';
  reason?: string;
}

/** `when` at plan time: evaluated when it reads only inputs/run, else undetermined (never guessed). */
export function planWhen(source: string, context: ExprContext): PlannedWhen {
  try {
    if (readsSteps(getWhenExpression(source))) {
      return { source, result: 'undetermined', reason: 'depends on the outputs or status of earlier steps' };
    }
    return { source, result: evaluateWhen(source, context) };
  } catch (error) {
    return { source, result: 'undetermined', reason: (error as Error).message };
  }
}
