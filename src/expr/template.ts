// `${{ expr }}` templates: a whole-template value keeps its type, mixed strings interpolate.

import { compileExpression, ExpressionError, type ExprReference } from './cel.js';

export { ExpressionError, type ExprReference } from './cel.js';

/** What expressions can read at run time. */
export interface ExprContext {
  inputs: Record<string, unknown>;
  steps: Record<string, { outputs: Record<string, unknown>; status: string }>;
  run: { id: string; startedAt: string };
}

export type TemplatePart =
  | { kind: 'text'; text: string }
  /** `offset`: where the expression source starts inside the string; `start`: where its `${{` is (both 0-based). */
  | { kind: 'expr'; source: string; offset: number; start: number };

const OPEN = '${{';
const CLOSE = '}}';

/** true when the string holds at least one `${{`. */
export function isTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/** true when any string inside `value` (deeply) is a template. */
export function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return isTemplate(value);
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (value && typeof value === 'object') return Object.values(value).some(containsTemplate);
  return false;
}

/** Splits a string into text and expression parts; throws ExpressionError for an unclosed `${{`. */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf(OPEN, index);
    if (open < 0) {
      parts.push({ kind: 'text', text: text.slice(index) });
      break;
    }
    if (open > index) parts.push({ kind: 'text', text: text.slice(index, open) });
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) throw new ExpressionError("'${{' is never closed with '}}'", text, { column: open + 1, offset: open });
    const raw = text.slice(open + OPEN.length, close);
    const lead = raw.length - raw.trimStart().length;
    const source = raw.trim();
    if (!source) throw new ExpressionError("empty expression '${{ }}'", text, { column: open + 1, offset: open });
    parts.push({ kind: 'expr', source, offset: open + OPEN.length + lead, start: open });
    index = close + CLOSE.length;
  }
  return parts;
}

/** The expression when the whole string is one `${{ expr }}` (surrounding blanks allowed), else undefined. */
export function getWholeExpression(text: string): string | undefined {
  const parts = parseTemplate(text.trim());
  return parts.length === 1 && parts[0]!.kind === 'expr' ? parts[0]!.source : undefined;
}

/** Resolves every template inside `value` (deeply); a string that is exactly one `${{ }}` keeps the result's type. */
export function resolveTemplates(value: unknown, context: ExprContext): unknown {
  if (typeof value === 'string') return isTemplate(value) ? resolveString(value, context) : value;
  if (Array.isArray(value)) return value.map((item) => resolveTemplates(item, context));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolveTemplates(item, context);
    return out;
  }
  return value;
}

function resolveString(text: string, context: ExprContext): unknown {
  const whole = getWholeExpression(text);
  if (whole !== undefined) return evaluateExpression(whole, context);
  return parseTemplate(text)
    .map((part) => (part.kind === 'text' ? part.text : interpolate(evaluateExpression(part.source, context))))
    .join('');
}

function interpolate(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Evaluates one CEL expression against the context; throws ExpressionError. */
export function evaluateExpression(source: string, context: ExprContext): unknown {
  return compileExpression(source).evaluate(context as unknown as Record<string, unknown>);
}

/** Evaluates a `when:` condition (bare CEL, or one whole `${{ }}`); anything but a boolean is an error. */
export function evaluateWhen(source: string | boolean, context: ExprContext): boolean {
  if (typeof source === 'boolean') return source;
  const expression = getWhenExpression(source);
  const result = evaluateExpression(expression, context);
  if (typeof result !== 'boolean') {
    throw new ExpressionError(`when must evaluate to a boolean, got ${typeof result} ${JSON.stringify(result)}`, expression);
  }
  return result;
}

/** The CEL source of a `when:` (tolerates a `${{ }}` wrapper). */
export function getWhenExpression(source: string): string {
  return isTemplate(source) ? (getWholeExpression(source) ?? source) : source;
}

/** Everything the templates inside `value` read (e.g. to show "known after run" when a step's outputs are used). */
export function listTemplateReferences(value: unknown): ExprReference[] {
  const found: ExprReference[] = [];
  const visit = (item: unknown): void => {
    if (typeof item === 'string') {
      if (!isTemplate(item)) return;
      for (const part of parseTemplate(item)) if (part.kind === 'expr') found.push(...compileExpression(part.source).references);
    } else if (Array.isArray(item)) item.forEach(visit);
    else if (item && typeof item === 'object') Object.values(item).forEach(visit);
  };
  visit(value);
  return found;
}

/** What a `when:` condition reads. */
export function listWhenReferences(source: string): ExprReference[] {
  return compileExpression(getWhenExpression(source)).references;
}
