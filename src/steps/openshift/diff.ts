// A field-by-field diff of two JSON values, printed as `path: before → after` lines a human can review in a plan.

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Leaf-level differences; objects are walked, arrays and scalars compared whole. */
export function diffValues(before: unknown, after: unknown, path: string): FieldChange[] {
  // A field appearing or vanishing is shown leaf by leaf, unless it is an empty object (emptyDir: {} is meaningful).
  if (before === undefined && isObject(after) && Object.keys(after).length > 0) before = {};
  if (after === undefined && isObject(before) && Object.keys(before).length > 0) after = {};
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    if (keys.length === 0) return [];
    return keys.flatMap((k) => diffValues(before[k], after[k], path ? `${path}.${k}` : k));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}

function show(value: unknown): string {
  return value === undefined ? '(unset)' : JSON.stringify(value);
}

export function formatChange(change: FieldChange): string {
  return `${change.path}: ${show(change.before)} → ${show(change.after)}`;
}

/** True when every field of `want` is present with the same value in `have` (extra fields in `have` are fine). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (isObject(want)) {
    return isObject(have) && Object.entries(want).every(([k, v]) => isSubset(v, have[k]));
  }
  return JSON.stringify(want) === JSON.stringify(have);
}
