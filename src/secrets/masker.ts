// The one place that replaces secrets with `***`: text, user data, and values learned while running (a new token).

import { listSecretForms } from './forms.js';

export const MASK = '***';

export interface Masker {
  /** The secret values registered (not their encoded forms), e.g. to hand to a process as data. */
  readonly secrets: readonly string[];
  /** `text` with every form of every secret masked; the same string when nothing matched. */
  text(text: string): string;
  /** Deep copy of user data (outputs, parameters) with string values and object keys masked; `value` itself when nothing matched. */
  data<T>(value: T): T;
  /** Like `data`, but keys are left alone (they are a structure's own field names, e.g. a preview's `summary`). */
  strings<T>(value: T): T;
  /** Registers a secret learned at run time (an obtained access token); values shorter than the minimum are ignored. */
  add(value: string): void;
}

/** Builds a masker for `secrets`; values shorter than MIN_SECRET_LENGTH are not masked (see forms.ts). */
export function createMasker(secrets: Iterable<string> = []): Masker {
  const values: string[] = [];
  let forms: string[] = [];
  const add = (value: string): void => {
    if (typeof value !== 'string' || values.includes(value)) return;
    const found = listSecretForms(value);
    if (found.length === 0) return;
    values.push(value);
    // Longest first, so a secret that contains another (or a form of it) is masked whole.
    forms = [...new Set([...forms, ...found])].sort((a, b) => b.length - a.length);
  };
  for (const secret of secrets) add(secret);
  const text = (input: string): string => {
    if (forms.length === 0) return input;
    let out = input;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(MASK);
    return out;
  };
  return {
    secrets: values,
    text,
    data: (value) => (forms.length === 0 ? value : (maskDeep(value, text, true) as typeof value)),
    strings: (value) => (forms.length === 0 ? value : (maskDeep(value, text, false) as typeof value)),
    add,
  };
}

/** Deep copy of `value` with `text` applied to every string leaf (keys kept); unchanged branches are returned as they are. */
export function mapStrings<T>(value: T, text: (s: string) => string): T {
  return maskDeep(value, text, false) as T;
}

// Copy on write: unchanged branches are returned as they are, so callers can tell by identity whether anything was masked.
function maskDeep(value: unknown, text: (s: string) => string, keys: boolean): unknown {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const masked = maskDeep(item, text, keys);
      changed ||= masked !== item;
      return masked;
    });
    return changed ? out : value;
  }
  if (value !== null && typeof value === 'object') {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const maskedKey = keys ? text(key) : key;
      const masked = maskDeep(item, text, keys);
      changed ||= masked !== item || maskedKey !== key;
      out[maskedKey] = masked;
    }
    return changed ? out : value;
  }
  return value;
}
