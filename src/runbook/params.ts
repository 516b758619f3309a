// A step's `with` against its type's JSON Schema and check(): at validation (templates skipped) and at run time.

import type { AnyStepType, ParamIssue } from '../steps/types.js';
import { validateAgainstSchema, formatPath, getAtPath, type PathSegment } from '../schema/index.js';
import { containsTemplate, isTemplate } from '../expr/template.js';

export interface DetailedParamIssue extends ParamIssue {
  /** Field path inside `with`. */
  segments: PathSegment[];
  /** Where to point inside `with` (the key for unknown keys). */
  at: PathSegment[];
  target: 'key' | 'value';
}

/**
 * Checks resolved parameters of a step (the engine calls this after resolving templates, before normalize/run).
 * Returns [] when they are fine; paths are relative to `with`.
 */
export function validateStepParams(stepType: AnyStepType, params: Record<string, unknown>): ParamIssue[] {
  return checkStepParams(stepType, params, { skipTemplates: false }).map(({ path, message }) => ({ path, message }));
}

/** Like validateStepParams; with skipTemplates, values that are still `${{ }}` are left for run time. */
export function checkStepParams(
  stepType: AnyStepType,
  params: Record<string, unknown>,
  options: { skipTemplates: boolean },
): DetailedParamIssue[] {
  const issues: DetailedParamIssue[] = [];
  let schemaIssues;
  try {
    schemaIssues = validateAgainstSchema(stepType.schema, params);
  } catch (error) {
    // a broken step schema is the step author's bug; say so rather than crash validation
    return [{ path: '', message: `step type '${stepType.type}' has an unusable parameter schema: ${(error as Error).message}`, segments: [], at: [], target: 'value' }];
  }
  for (const issue of schemaIssues) {
    if (options.skipTemplates && crossesTemplate(params, issue.path)) continue;
    // a combinator cannot be decided while part of the value is still a template
    if (options.skipTemplates && (issue.keyword === 'oneOf' || issue.keyword === 'anyOf') && containsTemplate(getAtPath(params, issue.path))
      && !isDecidedByKeys(stepType.schema, issue.path, issue.keyword)) continue;
    issues.push({ path: formatWithPath(issue.path), message: issue.message, segments: issue.path, at: issue.at, target: issue.target });
  }
  if (stepType.check && issues.length === 0) {
    const known = options.skipTemplates ? stripTemplates(params) : params;
    let extra: ParamIssue[];
    try {
      extra = stepType.check(known as Record<string, unknown>);
    } catch (error) {
      extra = [{ path: '', message: `parameter check failed: ${(error as Error).message}` }];
    }
    for (const issue of extra) {
      const segments = parseIssuePath(issue.path);
      issues.push({ path: issue.path, message: issue.message, segments, at: segments, target: 'value' });
    }
  }
  return issues;
}

function formatWithPath(segments: PathSegment[]): string {
  return segments.length === 0 ? '' : formatPath(segments);
}

// A schema error at (or under) a value that is still a template says nothing yet: re-checked at run time.
function crossesTemplate(root: unknown, segments: readonly PathSegment[]): boolean {
  let node = root;
  for (const segment of segments) {
    if (typeof node === 'string') return isTemplate(node);
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return typeof node === 'string' && isTemplate(node);
}

// `oneOf: [{ required: [run] }, { required: [command] }]` at the top of `with` only asks which keys are written,
// which templates do not change, so it is decided at validation even when some values are still templates.
function isDecidedByKeys(schema: object, path: readonly PathSegment[], keyword: 'oneOf' | 'anyOf'): boolean {
  if (path.length > 0) return false;
  const branches = (schema as Record<string, unknown>)[keyword];
  return Array.isArray(branches) && branches.length > 0 && branches.every((branch) =>
    branch !== null && typeof branch === 'object' && Object.keys(branch).every((key) => key === 'required' || key === 'description'));
}

/** Drops values that are still templates (object keys and list items), so check() sees only known values. */
export function stripTemplates(value: unknown): unknown {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((item) => !(typeof item === 'string' && isTemplate(item))).map(stripTemplates);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string' && isTemplate(item)) continue;
      out[key] = stripTemplates(item);
    }
    return out;
  }
  return value;
}

/** `a.b[2].c` → ['a', 'b', 2, 'c'] (for pointing at the YAML of a check() issue). */
export function parseIssuePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const match of path.matchAll(re)) {
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[3] !== undefined) segments.push(JSON.parse(`"${match[3]}"`) as string);
  }
  return segments;
}
