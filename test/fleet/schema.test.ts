import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getFleetSchema } from '../../src/fleet/index.js';
import { assertValidSchema, validateAgainstSchema } from '../../src/schema/index.js';
import { parseYamlDocuments } from '../../src/yaml/index.js';

describe('published fleet schema', () => {
  it('is in sync with the code (run `npm run schemas` after changing it)', () => {
    expect(readFileSync('schemas/fleet.schema.json', 'utf8')).toBe(`${JSON.stringify(getFleetSchema(), null, 2)}\n`);
  });

  it('is valid JSON Schema 2020-12 in strict mode', () => {
    expect(() => assertValidSchema(getFleetSchema())).not.toThrow();
  });

  it('accepts the bundled example on its own, as an editor would', () => {
    const schema = JSON.parse(readFileSync('schemas/fleet.schema.json', 'utf8')) as object;
    const [doc] = parseYamlDocuments(readFileSync('runbooks/fleets/example.yaml', 'utf8'));
    expect(validateAgainstSchema(schema, doc)).toEqual([]);
  });
});
