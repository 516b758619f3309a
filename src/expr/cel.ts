// The only importer of @marcbachmann/cel-js: compiles CEL once, converts numbers at the boundary, lists references.

import { Environment } from '@marcbachmann/cel-js';
import type { ASTNode } from '@marcbachmann/cel-js';

/** A CEL expression that does not compile or fails at evaluation; `column` is 1-based inside the source. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
  readonly source: string;
  readonly column: number | undefined;
  /** For template errors: the 0-based index in the template string where the problem is. */
  readonly offset: number | undefined;
  constructor(message: string, source: string, options: { column?: number; offset?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.source = source;
    this.column = options.column;
    this.offset = options.offset;
  }
}

/** One use of the evaluation context, e.g. `steps.pending.outputs.nodes` → root steps, name pending, field outputs, key nodes. */
export interface ExprReference {
  root: 'inputs' | 'steps' | 'run';
  /** inputs.<name>, steps.<name>, run.<name>; undefined when the whole map is used. */
  name?: string;
  /** steps.<id>.<field> */
  field?: string;
  /** steps.<id>.outputs.<key> */
  key?: string;
}

export interface CompiledExpression {
  source: string;
  references: ExprReference[];
  /** The CEL type the checker infers (`bool`, `int`, `list<string>`, `dyn` when it depends on values). */
  type: string;
  evaluate(context: Record<string, unknown>): unknown;
}

const ROOTS = new Set(['inputs', 'steps', 'run']);

/** The variables of runbook expressions. */
export const RUNBOOK_VARIABLES: readonly string[] = ['inputs', 'steps', 'run'];

const environments = new Map<string, Environment>();

// One environment per set of variable names (runbooks use inputs/steps/run; steps may bring their own, e.g. `response`).
function getEnvironment(variables: readonly string[]): Environment {
  const key = [...variables].sort().join(',');
  let env = environments.get(key);
  if (!env) {
    env = new Environment({ homogeneousAggregateLiterals: false })
      .registerFunction('string.replace(string, string): string', (s: string, from: string, to: string) => s.split(from).join(to))
      .registerFunction('toJson(dyn): string', (value: unknown) => JSON.stringify(fromCel(value)))
      .registerFunction('fromJson(string): dyn', (text: string) => parseJsonForCel(text))
      .registerFunction('parseJson(string): dyn', (text: string) => parseJsonForCel(text));
    for (const name of variables) env.registerVariable(name, 'dyn');
    environments.set(key, env);
  }
  return env;
}

function parseJsonForCel(text: string): unknown {
  try {
    return toCel(JSON.parse(text));
  } catch (error) {
    throw new Error(`parseJson: ${(error as Error).message}`);
  }
}

const cache = new Map<string, CompiledExpression>();

/**
 * Compiles (and type-checks) a CEL source over `variables`; throws ExpressionError with a short reason. Cached.
 * @default variables ['inputs', 'steps', 'run']
 */
export function compileExpression(source: string, variables: readonly string[] = RUNBOOK_VARIABLES): CompiledExpression {
  const cacheKey = variables === RUNBOOK_VARIABLES ? source : `${variables.join(',')}\u0000${source}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const rewritten = variables.includes('steps') ? quoteDashedStepIds(source) : source;
  const env = getEnvironment(variables);
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(rewritten);
  } catch (error) {
    throw toExpressionError(error, source, rewritten);
  }
  const checked = parsed.check();
  if (!checked.valid && checked.error) throw toExpressionError(checked.error, source, rewritten);
  const compiled: CompiledExpression = {
    source,
    references: collectReferences(parsed.ast),
    type: checked.type ?? 'dyn',
    evaluate(context) {
      try {
        return fromCel(parsed(toCel(context) as Record<string, unknown>));
      } catch (error) {
        throw toExpressionError(error, source, rewritten);
      }
    },
  };
  if (cache.size > 20_000) cache.clear();
  cache.set(cacheKey, compiled);
  return compiled;
}

/** Evaluates CEL over any variables (plain JS in, plain JS out: numbers, never BigInt). Throws ExpressionError. */
export function evaluateCel(source: string, variables: Record<string, unknown>): unknown {
  return compileExpression(source, Object.keys(variables)).evaluate(variables);
}

/** The compile error of `source` over `variableNames`, or undefined when it compiles (for StepType.check). */
export function checkCel(source: string, variableNames: readonly string[]): string | undefined {
  try {
    compileExpression(source, variableNames);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function toExpressionError(error: unknown, source: string, rewritten: string): ExpressionError {
  const e = error as { summary?: string; message?: string; range?: { start: number } };
  const summary = (e.summary ?? e.message ?? String(error)).split('\n')[0]!;
  const column = e.range && rewritten === source ? e.range.start + 1 : undefined;
  return new ExpressionError(summary, source, { column, cause: error });
}

// Step ids may contain '-', which CEL reads as minus: `steps.wait-ready.status` becomes `steps["wait-ready"].status`.
function quoteDashedStepIds(source: string): string {
  if (!source.includes('-')) return source;
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      const end = findStringEnd(source, i);
      out += source.slice(i, end);
      i = end;
      continue;
    }
    const match = /^steps\.([a-z0-9][a-z0-9-]*[a-z0-9])/.exec(source.slice(i));
    const before = i === 0 ? '' : source[i - 1]!;
    if (match && match[1]!.includes('-') && !/[A-Za-z0-9_.]/.test(before)) {
      out += `steps[${JSON.stringify(match[1])}]`;
      i += match[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

function findStringEnd(source: string, start: number): number {
  const quote = source[start]!;
  const triple = source.startsWith(quote.repeat(3), start);
  if (triple) {
    const end = source.indexOf(quote.repeat(3), start + 3);
    return end < 0 ? source.length : end + 3;
  }
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i + 1;
  }
  return source.length;
}

/** Every `inputs.x`, `steps.y.outputs.z`, `run.id` the expression reads (from the AST, not the text). */
function collectReferences(ast: ASTNode): ExprReference[] {
  const found: ExprReference[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const n = node as { op?: string; args?: unknown };
    if (typeof n.op !== 'string') return;
    const chain = readChain(n);
    if (chain) {
      found.push(chain.reference);
      for (const index of chain.dynamicIndexes) visit(index);
      return;
    }
    visit(n.args);
  };
  visit(ast);
  return found;
}

interface Chain {
  reference: ExprReference;
  dynamicIndexes: unknown[];
}

// Unwinds `a.b["c"].d` into [a, b, c, d] when it starts at a context root; dynamic indexes are visited separately.
function readChain(node: { op?: string; args?: unknown }): Chain | undefined {
  const keys: string[] = [];
  const dynamicIndexes: unknown[] = [];
  let current: { op?: string; args?: unknown } = node;
  for (;;) {
    if (current.op === 'id') {
      const root = current.args as string;
      if (!ROOTS.has(root)) return undefined;
      keys.reverse();
      const [name, field, key] = keys;
      return { reference: { root: root as ExprReference['root'], name, field, key }, dynamicIndexes };
    }
    if (current.op === '.' || current.op === '.?') {
      const [target, key] = current.args as [typeof current, string];
      keys.push(key);
      current = target;
    } else if (current.op === '[]' || current.op === '[?]') {
      const [target, index] = current.args as [typeof current, { op?: string; args?: unknown }];
      if (index?.op === 'value' && typeof index.args === 'string') keys.push(index.args);
      else {
        keys.length = 0; // a computed key: only the prefix before it is known
        dynamicIndexes.push(index);
      }
      current = target;
    } else return undefined;
  }
}

/** Plain JS → CEL: integral numbers become BigInt so `inputs.n + 1` is int arithmetic. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

/** CEL → plain JS: BigInt back to number, Maps to objects, timestamps to ISO strings. */
export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = fromCel(v);
    return out;
  }
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fromCel(v);
    return out;
  }
  return value;
}
