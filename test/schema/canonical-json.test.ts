import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/schema/canonical-json.js';

// The reference definition: JSON.stringify with keys sorted at every level (journals hash runbooks with it).
const reference = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return item;
    return Object.fromEntries(Object.keys(item).sort().map((key) => [key, (item as Record<string, unknown>)[key]]));
  }) ?? 'null';

describe('canonicalJson', () => {
  it('equals JSON.stringify with sorted keys for any JSON value (so recorded runbook hashes stay valid)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => canonicalJson(value) === reference(value)), { numRuns: 500 });
  });

  it('drops undefined members, writes null for holes in arrays, and honours toJSON', () => {
    const value = { b: undefined, a: [undefined, () => 1, new Date(0)], c: { z: 1, y: '2' } };
    expect(canonicalJson(value)).toBe(reference(value));
    expect(canonicalJson(value)).toBe('{"a":[null,null,"1970-01-01T00:00:00.000Z"],"c":{"y":"2","z":1}}');
    expect(canonicalJson(undefined)).toBe('null');
  });
});
