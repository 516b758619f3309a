// `${{ }}` only works in with, env, when and spec.deadline; anywhere else it would silently stay literal text.

import { isTemplate } from '../../expr/template.js';
import type { PathSegment } from '../path.js';
import { isRecord, type CheckContext } from './context.js';

const EVALUATED_STEP_KEYS = new Set(['with', 'env', 'when', 'run']); // run: has its own, sharper message

export function checkTemplatePlacement(ctx: CheckContext): void {
  const visit = (value: unknown, path: PathSegment[]): void => {
    if (typeof value === 'string') {
      if (isTemplate(value)) ctx.report(path, '${{ }} is not evaluated here: expressions work in with, env, when and spec.deadline', { index: value.indexOf('${{') });
    } else if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...path, i]));
    else if (isRecord(value)) for (const [key, item] of Object.entries(value)) visitChild(key, item, path);
  };
  const visitChild = (key: string, item: unknown, path: PathSegment[]): void => {
    const here = [...path, key];
    if (here.length === 2 && here[0] === 'spec' && key === 'deadline') return;
    if (here.length === 2 && here[0] === 'spec' && key === 'steps' && Array.isArray(item)) {
      item.forEach((step, i) => {
        if (!isRecord(step)) return visit(step, [...here, i]);
        for (const [k, v] of Object.entries(step)) if (!EVALUATED_STEP_KEYS.has(k)) visit(v, [...here, i, k]);
      });
      return;
    }
    visit(item, here);
  };
  visit(ctx.root, []);
}
