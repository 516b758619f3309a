// The only importer of @marcbachmann/cel-js: compiles CEL once, converts numbers at the boundary, lists references.

import { Environment } from '@marcbachmann/cel-js';
import { collectReferences, type ExprReference } from './references.js';
import { fromCel, toCel } from './convert.js';
import { quoteDashedStepIds, type RewrittenSource } from './step-ids.js';

export type { ExprReference } from './references.js';
export { fromCel, toCel } from './convert.js';

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

export interface CompiledExpression {
  source: string;
  references: ExprReference[];
  /** The CEL type the checker infers (`bool`, `int`, `list<string>`, `dyn` when it depends on values). */
  type: string;
  evaluate(context: Record<string, unknown>): unknown;
}

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
      .registerFunction('parseJson(string): dyn', (text: string) => parseJsonForCel(text))
      .registerFunction('keys(map): list', (map: unknown) => listKeys(map))
      .registerFunction('values(map): list', (map: unknown) => listKeys(map).map((key) => readKey(map, key)))
      .registerFunction('sorted(list): list', (list: unknown[]) => [...list].sort(compareCel));
    for (const name of variables) env.registerVariable(name, 'dyn');
    environments.set(key, env);
  }
  return env;
}

// cel-js hands maps over as Map or as plain objects depending on where they came from.
function listKeys(map: unknown): string[] {
  if (map instanceof Map) return [...map.keys()].map(String).sort();
  return Object.keys(map as object).sort();
}

function readKey(map: unknown, key: string): unknown {
  return map instanceof Map ? map.get(key) : (map as Record<string, unknown>)[key];
}

function compareCel(a: unknown, b: unknown): number {
  if (typeof a === typeof b && (typeof a === 'string' || typeof a === 'number' || typeof a === 'bigint')) return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  return String(a).localeCompare(String(b));
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
  const rewritten = variables.includes('steps') ? quoteDashedStepIds(source) : { text: source, toSourceOffset: (n: number) => n };
  const env = getEnvironment(variables);
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(rewritten.text);
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

function toExpressionError(error: unknown, source: string, rewritten: RewrittenSource): ExpressionError {
  const e = error as { summary?: string; message?: string; range?: { start: number } };
  const summary = (e.summary ?? e.message ?? String(error)).split('\n')[0]!;
  const column = e.range ? rewritten.toSourceOffset(e.range.start) + 1 : undefined;
  return new ExpressionError(summary, source, { column, cause: error });
}
