// Turns a step as written into what its type runs with: templates resolved, parameters checked, defaults filled.

import { StepError } from '../errors.js';
import { type ExprContext, resolveTemplates } from '../expr/template.js';
import { validateStepParams } from '../runbook/params.js';
import type { StepSpec } from '../runbook/types.js';
import type { PreparedStep } from './attempts.js';
import type { RunState } from './state.js';

/** Resolves `with`/`env`, validates against the type's schema, normalises. Any problem is a permanent StepError. */
export function prepareStep(run: RunState, step: StepSpec, context: ExprContext): PreparedStep {
  const stepType = run.options.registry.get(step.type);
  if (!stepType) throw new StepError(`unknown step type ${step.type}`, { errorClass: 'permanent' });
  const params = resolveField(step.with, context, 'with') as Record<string, unknown>;
  const stepEnv = resolveField(step.env, context, 'env') as Record<string, unknown>;
  const issues = validateStepParams(stepType, params);
  if (issues.length > 0) {
    const text = issues.map((issue) => `with${issue.path ? `.${issue.path}` : ''}: ${issue.message}`).join('; ');
    throw new StepError(`invalid parameters for ${step.type}: ${text}`, { errorClass: 'permanent', details: { issues } });
  }
  let normalized: unknown = params;
  try {
    if (stepType.normalize) normalized = stepType.normalize(params);
  } catch (error) {
    throw new StepError(`invalid parameters for ${step.type}: ${(error as Error).message}`, { errorClass: 'permanent', cause: error });
  }
  return { stepType, params: normalized, env: mergeEnv(run.options.env, stepEnv) };
}

function resolveField(value: Record<string, unknown>, context: ExprContext, field: string): unknown {
  if (Object.keys(value).length === 0) return {};
  try {
    return resolveTemplates(value, context);
  } catch (error) {
    throw new StepError(`${field}: ${(error as Error).message}`, { errorClass: 'permanent', cause: error });
  }
}

/** The step's `env:` over the run's environment; non-string values become text (arrays/objects as JSON). */
function mergeEnv(base: Record<string, string | undefined>, stepEnv: Record<string, unknown>): Record<string, string | undefined> {
  const keys = Object.keys(stepEnv);
  if (keys.length === 0) return base;
  const env = { ...base };
  for (const key of keys) {
    const value = stepEnv[key];
    env[key] = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return env;
}
