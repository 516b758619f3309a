// Masks secret values as `***` in text and in whole event objects before anything leaves the engine.

export interface Redactor {
  /** Secret values in effect (longest first). */
  readonly secrets: readonly string[];
  text(text: string): string;
  /** Deep copy of `value` with every string redacted (returns `value` itself when there are no secrets). */
  value<T>(value: T): T;
}

export const MASK = '***';

/** Builds a redactor for `secrets`; empty and whitespace-only values are ignored (masking them would mangle output). */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const unique = [...new Set([...secrets].filter((s) => typeof s === 'string' && s.trim().length > 0))];
  // Longest first so a secret that contains another is masked whole.
  unique.sort((a, b) => b.length - a.length);
  const text = (input: string): string => {
    let out = input;
    for (const secret of unique) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  };
  const value = <T>(input: T): T => (unique.length === 0 ? input : (redactDeep(input, text) as T));
  return { secrets: unique, text: unique.length === 0 ? (s) => s : text, value };
}

function redactDeep(value: unknown, text: (s: string) => string): unknown {
  if (typeof value === 'string') return text(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, text));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[text(key)] = redactDeep(item, text);
    return out;
  }
  return value;
}
