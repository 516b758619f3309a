// Turns raw JSON Schema errors into one human sentence per problem: what was expected, what was found.

import { parsePointer, type PathSegment } from './path.js';
import { formatSuggestion } from './suggest.js';
import { DURATION_PATTERN } from '../time/duration.js';
import { foldCombinatorErrors } from './fold.js';

/** The subset of ajv's ErrorObject we read (verbose mode). */
export interface RawSchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  /** Ajv's params differ per keyword (missingProperty, allowedValues …); read by the keyword's own formatter. */
  params: Record<string, any>;
  propertyName?: string;
  message?: string;
  schema?: unknown;
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}

export interface SchemaIssue {
  /** Field path shown to the user. */
  path: PathSegment[];
  /** Path to point at in the source (defaults to `path`). */
  at: PathSegment[];
  /** Point at the key (`need:`) rather than at its value. */
  target: 'key' | 'value';
  message: string;
  /** The JSON Schema keyword that failed (`oneOf`, `type`, …). */
  keyword: string;
}

/** One issue per real problem; branch noise of oneOf/anyOf/propertyNames is folded into the parent's message. */
export function describeSchemaErrors(errors: readonly RawSchemaError[], root: unknown): SchemaIssue[] {
  const kept = foldCombinatorErrors(errors);
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const issue = describeError(error, root);
    if (!issue) continue;
    const key = `${JSON.stringify(issue.path)}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function describeError(error: RawSchemaError, root: unknown): SchemaIssue | undefined {
  const path = parsePointer(error.instancePath, root);
  const issue = (message: string, at = path, target: 'key' | 'value' = 'value'): SchemaIssue => ({ path, at, target, message, keyword: error.keyword });
  const found = describeValue(error.data);
  const expected = error.parentSchema?.['x-expected'];
  const p = error.params;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const hint = formatSuggestion(key, known) || (known.length > 0 ? ` (expected one of: ${known.join(', ')})` : '');
      return issue(`unknown key '${key}'${hint}`, [...path, key], 'key');
    }
    case 'required':
      return issue(`missing required key '${p.missingProperty}'`);
    case 'type':
      return issue(`must be ${listTypes(String(p.type).split(','))}, got ${found}`);
    case 'const':
      return issue(`must be ${JSON.stringify(p.allowedValue)}, got ${found}`);
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof error.data === 'string' ? formatSuggestion(error.data, (p.allowedValues as unknown[]).map(String)) : '';
      return issue(`must be one of ${allowed.join(', ')}, got ${found}${hint}`);
    }
    case 'pattern':
    case 'format':
      if (typeof expected === 'string') return issue(`must be ${expected}, got ${found}`);
      if (p.pattern === DURATION_PATTERN) return issue(`must be a duration like 90s or 1h30m, got ${found}`);
      return issue(`must match ${error.keyword === 'format' ? `format '${p.format}'` : `/${p.pattern}/`}, got ${found}`);
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return issue(`must be ${p.comparison.replace('>=', '≥').replace('<=', '≤')} ${p.limit}, got ${found}`);
    case 'minLength':
      return issue(p.limit === 1 ? 'must not be empty' : `must be at least ${p.limit} characters, got ${found}`);
    case 'maxLength':
      return issue(`must be at most ${p.limit} characters, got ${String(error.data).length}`);
    case 'minItems':
      return issue(`must have at least ${p.limit} item${p.limit === 1 ? '' : 's'}, got ${(error.data as unknown[]).length}`);
    case 'maxItems':
      return issue(`must have at most ${p.limit} items, got ${(error.data as unknown[]).length}`);
    case 'minProperties':
      return issue(`must have at least ${p.limit} key${p.limit === 1 ? '' : 's'}`);
    case 'uniqueItems': {
      const [first, second] = [Number(p.i), Number(p.j)].sort((a, b) => a - b);
      const items = error.data as unknown[];
      return issue(`must not repeat items (items ${first} and ${second} are both ${describeValue(items[second!])})`, [...path, second!]);
    }
    case 'propertyNames': {
      const name = String(p.propertyName ?? error.propertyName);
      const what = (error.schema as Record<string, unknown> | undefined)?.['x-expected'];
      return issue(`key '${name}' must be ${typeof what === 'string' ? what : 'a valid name'}`, [...path, name], 'key');
    }
    case 'oneOf': case 'anyOf':
      if (typeof expected === 'string') return issue(`must be ${expected}, got ${found}`);
      return issue((isStepSchema(error.parentSchema) ? describeStepForm(error.data) : undefined) ?? describeForms(error, found));
    default:
      return issue(`${error.message ?? 'is invalid'}${error.data === undefined ? '' : `, got ${found}`}`);
  }
}

function isStepSchema(schema: Record<string, unknown> | undefined): boolean {
  const properties = schema?.properties as Record<string, unknown> | undefined;
  return Boolean(properties && 'uses' in properties && 'run' in properties && 'needs' in properties);
}

/** "must be a list or a map, got 5" from the branches' types, or a plain statement when they do not say. */
function describeForms(error: RawSchemaError, found: string): string {
  const branches = Array.isArray(error.schema) ? (error.schema as { type?: unknown; required?: unknown }[]) : [];
  const types = branches.flatMap((b) => (b?.type === undefined ? [] : Array.isArray(b.type) ? b.type : [b.type])) as string[];
  if (error.keyword === 'oneOf' && Array.isArray(error.params.passingSchemas)) {
    const required = branches.map((b) => (Array.isArray(b?.required) ? (b.required as string[]).join('+') : '')).filter(Boolean);
    return required.length === branches.length ? `must have exactly one of ${required.map((r) => `'${r}'`).join(', ')}` : 'matches more than one allowed form; it must match exactly one';
  }
  if (types.length === branches.length && types.length > 0) return `must be ${listTypes([...new Set(types)])}, got ${found}`;
  const required = branches.map((b) => (Array.isArray(b?.required) ? (b.required as string[]).join('+') : ''));
  if (required.every(Boolean)) return `needs one of ${required.map((r) => `'${r}'`).join(', ')}`;
  return `must match ${error.keyword === 'oneOf' ? 'exactly one' : 'one'} of the allowed forms, got ${found}`;
}

/** The step `uses` XOR `run` rule, said plainly. */
function describeStepForm(data: unknown): string | undefined {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const hasUses = 'uses' in data;
  const hasRun = 'run' in data;
  if (hasUses && hasRun) return "has both 'uses' and 'run': a step is either a step type or a shell script, keep one";
  if (!hasUses && !hasRun) return "needs 'uses' (a step type, see `opsbook steps`) or 'run' (a shell script)";
  return undefined;
}

function listTypes(types: string[]): string {
  const words = types.map((t) => (t === 'object' ? 'a map' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : t === 'null' ? 'null' : `a ${t}`));
  return words.length <= 1 ? (words[0] ?? 'valid') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** Short rendering of a found value for messages: 'text', 42, a list, a map. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}
