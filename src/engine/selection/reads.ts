// What one step takes from other steps — its `needs` and the outputs/status its expressions read — so a partial re-run knows what a step depends on.

import { getWhenExpression, isTemplate, parseTemplate } from '../../expr/template.js';
import { compileExpression } from '../../expr/cel.js';
import type { StepSpec } from '../../runbook/types.js';

/** One dependency of a step on another: a `needs` edge, or `steps.<id>.outputs.<key>` / `.status` read in `field`. */
export interface StepRead {
  stepId: string;
  what: 'needs' | 'outputs' | 'status';
  /** The output read (undefined: the whole outputs map, or not an output). */
  key?: string;
  /** Where the reading step holds it, e.g. `env.TOKEN`, `when`, `needs`. */
  field: string;
}

/** Every `needs` edge and step reference in `when`, `with` and `env`, in that order (duplicates kept: each has its field). */
export function listStepReads(step: StepSpec): StepRead[] {
  const reads: StepRead[] = step.needs.map((stepId) => ({ stepId, what: 'needs', field: 'needs' }));
  const addSource = (source: string, field: string): void => {
    for (const ref of compileExpression(source).references) {
      if (ref.root !== 'steps' || ref.name === undefined || ref.name === step.id) continue;
      const what = ref.field === 'status' ? 'status' : 'outputs';
      reads.push({ stepId: ref.name, what, ...(what === 'outputs' && ref.key !== undefined ? { key: ref.key } : {}), field });
    }
  };
  if (step.when !== undefined) addSource(getWhenExpression(step.when), 'when');
  const walk = (value: unknown, field: string): void => {
    if (typeof value === 'string') {
      if (!isTemplate(value)) return;
      for (const part of parseTemplate(value)) if (part.kind === 'expr') addSource(part.source, field);
    } else if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${field}[${i}]`));
    else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, `${field}.${key}`);
  };
  walk(step.with, 'with');
  walk(step.env, 'env');
  return reads;
}

/** `steps.once.outputs.token`, `steps.once.status`, or `needs once`, as the runbook would say it. */
export function describeRead(read: StepRead): string {
  if (read.what === 'needs') return `needs ${read.stepId}`;
  if (read.what === 'status') return `reads steps.${read.stepId}.status`;
  return `reads steps.${read.stepId}.outputs${read.key !== undefined ? `.${read.key}` : ''}`;
}
