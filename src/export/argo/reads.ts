// What a step takes from other steps (its needs, and the outputs/status its expressions read): the edges and parameters of the exported DAG.

import { compileExpression } from '../../expr/cel.js';
import { getWhenExpression, isTemplate, parseTemplate } from '../../expr/template.js';
import type { StepSpec } from '../../runbook/types.js';

export interface Read {
  stepId: string;
  what: 'needs' | 'outputs' | 'status';
  key?: string;
  /** Where the reading step holds it: `needs`, `when`, `env.X`, `with.y`. */
  field: string;
}

/** Every needs edge and `steps.<id>` reference in when, with and env (the engine's partial runs read them the same way). */
export function listReads(step: StepSpec): Read[] {
  const reads: Read[] = step.needs.map((stepId) => ({ stepId, what: 'needs', field: 'needs' }));
  const add = (source: string, field: string): void => {
    for (const ref of compileExpression(source).references) {
      if (ref.root !== 'steps' || ref.name === undefined || ref.name === step.id) continue;
      const what = ref.field === 'status' ? 'status' : 'outputs';
      reads.push({ stepId: ref.name, what, ...(what === 'outputs' && ref.key !== undefined ? { key: ref.key } : {}), field });
    }
  };
  if (step.when !== undefined) add(getWhenExpression(step.when), 'when');
  const walk = (value: unknown, field: string): void => {
    if (typeof value === 'string') {
      if (isTemplate(value)) for (const part of parseTemplate(value)) if (part.kind === 'expr') add(part.source, field);
    } else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${field}[${i}]`));
    else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, `${field}.${key}`);
  };
  walk(step.with, 'with');
  walk(step.env, 'env');
  return reads;
}
