import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createStepRegistry } from '../../src/steps/registry.js';
import { getRunbookSchema } from '../../src/runbook/index.js';
import { assertValidSchema, generateValidatorsModule, validateAgainstSchema } from '../../src/schema/ajv.js';
import { runbookSchema } from '../../src/runbook/schema.js';
import { buildSchemaFiles } from '../../src/runbook/step-schemas.js';
import { parseYamlDocuments } from '../../src/yaml/parse.js';
import { fleetSchema } from '../../src/fleet/index.js';

describe('published schemas', () => {
  const files = buildSchemaFiles(createStepRegistry().list(), getRunbookSchema());

  it('are in sync with the code (run `npm run schemas` after changing a schema)', () => {
    for (const [path, text] of files) expect(readFileSync(path, 'utf8'), path).toBe(text);
    const published = readdirSync('schemas/steps').map((name) => `schemas/steps/${name}`);
    expect(published.sort()).toEqual([...files.keys()].filter((p) => p.startsWith('schemas/steps/')).sort());
  });

  it('precompiled validators are in sync with the schemas (run `npm run schemas`)', () => {
    const expected = generateValidatorsModule([runbookSchema, fleetSchema, ...createStepRegistry().list().map((s) => s.schema)]);
    expect(readFileSync('src/schema/generated/validators.ts', 'utf8') === expected).toBe(true);
  });

  it('are valid JSON Schema 2020-12 in strict mode', () => {
    for (const [path, text] of files) expect(() => assertValidSchema(JSON.parse(text)), path).not.toThrow();
  });

  it('the committed runbook schema accepts the valid fixtures on its own (as an editor would)', () => {
    const schema = JSON.parse(readFileSync('schemas/runbook.schema.json', 'utf8')) as object;
    for (const name of readdirSync('test/fixtures/runbooks/valid')) {
      const [doc] = parseYamlDocuments(readFileSync(`test/fixtures/runbooks/valid/${name}`, 'utf8'));
      expect(validateAgainstSchema(schema, doc), name).toEqual([]);
    }
  });
});
