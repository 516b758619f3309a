// Canonical JSON (sorted keys) and content keys built on it, so equal values hash equally.

import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return writeCanonical(value) ?? 'null';
}

// Written out by hand: JSON.stringify with a replacer copies every object, a third of validating a 10,000-step runbook.
function writeCanonical(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return writeCanonical((value as { toJSON(): unknown }).toJSON());
  if (Array.isArray(value)) return `[${value.map((item) => writeCanonical(item) ?? 'null').join(',')}]`;
  const parts: string[] = [];
  for (const key of sortedKeys(value)) {
    const item = writeCanonical((value as Record<string, unknown>)[key]);
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
  }
  return `{${parts.join(',')}}`;
}

/** A short content key for a JSON Schema: the same schema text always gets the same key. */
export function getSchemaKey(schema: object): string {
  return `s${createHash('sha256').update(canonicalJson(schema)).digest('hex').slice(0, 24)}`;
}

// As the replacer-based version ordered them (hashes in existing journals depend on it): JavaScript puts array-index
// keys first, ascending, whatever the insertion order; the other keys follow, sorted.
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  let firstName = 0;
  while (firstName < keys.length && isArrayIndex(keys[firstName]!)) firstName++;
  return firstName === 0 ? keys.sort() : [...keys.slice(0, firstName), ...keys.slice(firstName).sort()];
}

function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 4294967295;
}
