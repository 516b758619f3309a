// Typing input values by their declared type: from text (--set, env, files) or from structured YAML/JSON.

import type { InputType } from './types.js';
import { parseDuration } from '../time/duration.js';
import { describeValue, formatSuggestion } from '../schema/index.js';

export type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

interface TypeSpec {
  type: InputType;
  items?: Record<string, unknown>;
  enum?: unknown[];
}

const ok = (value: unknown): Coerced => ({ ok: true, value });
const fail = (message: string): Coerced => ({ ok: false, message });

/** Types a value written as text (--set name=value, an env var, a file). Arrays: JSON or a comma list. */
export function coerceInputText(spec: TypeSpec, text: string): Coerced {
  return checkEnum(spec, typeText(spec, text));
}

/** Checks a structured value (a default, a --values file entry) against the declared type. */
export function coerceInputValue(spec: TypeSpec, value: unknown): Coerced {
  return checkEnum(spec, typeValue(spec, value));
}

function checkEnum(spec: TypeSpec, typed: Coerced): Coerced {
  if (!typed.ok || !spec.enum) return typed;
  const values = spec.type === 'array' && Array.isArray(typed.value) ? typed.value : [typed.value];
  const bad = values.find((v) => !spec.enum!.includes(v));
  if (bad === undefined) return typed;
  const allowed = spec.enum.map((v) => JSON.stringify(v)).join(', ');
  return fail(`must be one of ${allowed}, got ${describeValue(bad)}${typeof bad === 'string' ? formatSuggestion(bad, spec.enum.map(String)) : ''}`);
}

function typeText(spec: TypeSpec, text: string): Coerced {
  switch (spec.type) {
    case 'string': case 'secret':
      return ok(text);
    case 'number': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? ok(n) : fail(`must be a number, got '${text}'`);
    }
    case 'integer':
      return /^\s*[-+]?\d+\s*$/.test(text) && Number.isSafeInteger(Number(text)) ? ok(Number(text)) : fail(`must be an integer, got '${text}'`);
    case 'boolean': {
      const lower = text.trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(lower)) return ok(true);
      if (['false', 'no', '0', 'off'].includes(lower)) return ok(false);
      return fail(`must be true or false, got '${text}'`);
    }
    case 'duration':
      return parseDuration(text.trim()) !== undefined ? ok(text.trim()) : fail(`must be a duration like 90s or 1h30m, got '${text}'`);
    case 'array': {
      const trimmed = text.trim();
      if (trimmed.startsWith('[')) {
        const parsed = parseJson(trimmed);
        return parsed.ok ? coerceInputValue(spec, parsed.value) : fail(`must be a JSON list or a comma-separated list: ${parsed.message}`);
      }
      const items = trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
      const itemSpec = readItemSpec(spec);
      const out: unknown[] = [];
      for (const [i, item] of items.entries()) {
        const typed = coerceInputText(itemSpec, item);
        if (!typed.ok) return fail(`item ${i}: ${typed.message}`);
        out.push(typed.value);
      }
      return ok(out);
    }
    case 'object': {
      const parsed = parseJson(text.trim());
      return parsed.ok ? coerceInputValue(spec, parsed.value) : fail(`must be a JSON object: ${parsed.message}`);
    }
  }
}

function typeValue(spec: TypeSpec, value: unknown): Coerced {
  switch (spec.type) {
    case 'string': case 'secret':
      return typeof value === 'string' ? ok(value) : fail(`must be a string, got ${describeValue(value)}${typeof value === 'number' ? ' (quote it)' : ''}`);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? ok(value) : fail(`must be a number, got ${describeValue(value)}`);
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? ok(value) : fail(`must be an integer, got ${describeValue(value)}`);
    case 'boolean':
      return typeof value === 'boolean' ? ok(value) : fail(`must be true or false, got ${describeValue(value)}`);
    case 'duration':
      return typeof value === 'string' && parseDuration(value) !== undefined
        ? ok(value)
        : fail(`must be a duration like 90s or 1h30m, got ${describeValue(value)}`);
    case 'array': {
      if (!Array.isArray(value)) return fail(`must be a list, got ${describeValue(value)}`);
      const itemSpec = readItemSpec(spec);
      const out: unknown[] = [];
      for (const [i, item] of value.entries()) {
        const typed = coerceInputValue(itemSpec, item);
        if (!typed.ok) return fail(`item ${i}: ${typed.message}`);
        out.push(typed.value);
      }
      return ok(out);
    }
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? ok(value) : fail(`must be a map, got ${describeValue(value)}`);
  }
}

function readItemSpec(spec: TypeSpec): TypeSpec {
  const type = spec.items?.type;
  return { type: typeof type === 'string' ? (type as InputType) : 'string' };
}

function parseJson(text: string): Coerced {
  try {
    return ok(JSON.parse(text));
  } catch (error) {
    return fail((error as Error).message);
  }
}
