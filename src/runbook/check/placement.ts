// `${{ }}` only works in with, env, when and spec.deadline; anywhere else it would silently stay literal text.

import { isTemplate } from '../../expr/template.js';
import type { PathSegment } from '../../schema/index.js';
import { isRecord, type CheckContext } from './context.js';

const EVALUATED_STEP_KEYS = new Set(['with', 'env', 'when', 'run']); // run: has its own, sharper message

export function checkTemplatePlacement(ctx: CheckContext): void {
  const path: PathSegment[] = []; // one stack, copied only when something is reported (10,000-step runbooks)
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (isTemplate(value)) {
        ctx.report([...path], '${{ }} is not evaluated here: expressions work in with, env, when and spec.deadline', { index: value.indexOf('${{') });
      }
      return;
    }
    const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((item, i) => [i, item]) : isRecord(value) ? Object.entries(value) : [];
    for (const [key, item] of entries) {
      path.push(key);
      if (!isEvaluated(path)) visit(item);
      path.pop();
    }
  };
  visit(ctx.root);
}

function isEvaluated(path: readonly PathSegment[]): boolean {
  if (path[0] !== 'spec') return false;
  if (path.length === 2) return path[1] === 'deadline';
  return path.length === 4 && path[1] === 'steps' && EVALUATED_STEP_KEYS.has(String(path[3]));
}
