// The expression context a step sees, narrowed to the steps it refers to so evaluation cost does not grow with the run.

import { compileExpression } from '../expr/cel.js';
import { type ExprContext, getWhenExpression, isTemplate, parseTemplate } from '../expr/template.js';
import type { StepSpec } from '../runbook/types.js';

export interface StepState {
  outputs: Record<string, unknown>;
  status: string;
}

/** Step ids the step's `with`, `env` and `when` read, or 'all' when one reads the whole `steps` map. */
export function findReferencedSteps(step: StepSpec): Set<string> | 'all' {
  const ids = new Set<string>();
  const sources: string[] = [];
  collectSources(step.with, sources);
  collectSources(step.env, sources);
  if (step.when !== undefined) sources.push(getWhenExpression(step.when));
  for (const source of sources) {
    for (const ref of compileExpression(source).references) {
      if (ref.root !== 'steps') continue;
      if (ref.name === undefined) return 'all';
      ids.add(ref.name);
    }
  }
  return ids;
}

function collectSources(value: unknown, into: string[]): void {
  if (typeof value === 'string') {
    if (!isTemplate(value)) return;
    for (const part of parseTemplate(value)) if (part.kind === 'expr') into.push(part.source);
  } else if (Array.isArray(value)) {
    for (const item of value) collectSources(item, into);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) collectSources(item, into);
  }
}

/** The context for one step: all inputs, the run, and the finished steps it refers to. */
export function buildExprContext(
  base: Pick<ExprContext, 'inputs' | 'run'>,
  states: ReadonlyMap<string, StepState>,
  referenced: Set<string> | 'all',
): ExprContext {
  const steps: ExprContext['steps'] = {};
  if (referenced === 'all') {
    for (const [id, state] of states) steps[id] = state;
  } else {
    for (const id of referenced) {
      const state = states.get(id);
      if (state) steps[id] = state;
    }
  }
  return { inputs: base.inputs, steps, run: base.run };
}
