// Canonical JSON (sorted keys) and content keys built on it, so equal values hash equally.

import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  }) ?? 'null';
}

/** A short content key for a JSON Schema: the same schema text always gets the same key. */
export function getSchemaKey(schema: object): string {
  return `s${createHash('sha256').update(canonicalJson(schema)).digest('hex').slice(0, 24)}`;
}
