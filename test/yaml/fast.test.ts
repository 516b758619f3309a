import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYamlQuickly } from '../../src/yaml/fast.js';
import { parseYamlWithPositions, stringifyYaml } from '../../src/yaml/parse.js';

const root = path.resolve(import.meta.dirname, '../..');
const yamlFiles = (dir: string) =>
  readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.yaml')).map((f) => path.join(dir, f));
// Runbooks with aliases (add-sno-worker.yaml) always take the full parser: see the alias case below.
const runbooks = [...yamlFiles('runbooks'), ...yamlFiles('test/cli/fixtures')].filter((file) => {
  const text = readFileSync(path.join(root, file), 'utf8');
  return /kind: Runbook/.test(text) && !/: \*\w/.test(text);
});

describe('parseYamlQuickly', () => {
  it.each(runbooks)('%s: same value, step and input positions as the full parser', (file) => {
    const text = readFileSync(path.join(root, file), 'utf8');
    const exact = parseYamlWithPositions(text, file);
    const quick = parseYamlQuickly(text, file);
    expect(quick).toBeDefined();
    expect(quick!.value).toEqual(exact.value);
    const spec = (exact.value as { spec: { steps: unknown[]; inputs?: Record<string, unknown> } }).spec;
    spec.steps.forEach((_, i) => expect(quick!.locate(['spec', 'steps', i])).toEqual(exact.locate(['spec', 'steps', i])));
    for (const name of Object.keys(spec.inputs ?? {})) {
      expect(quick!.locate(['spec', 'inputs', name], 'key')).toEqual(exact.locate(['spec', 'inputs', name], 'key'));
    }
  });

  it('reads any JSON-like value the way the full parser does', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const value = fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(scalar, fc.array(scalar), fc.dictionary(fc.string({ minLength: 1 }), scalar)), { minKeys: 1 });
    let runs = 0;
    let quickRuns = 0;
    fc.assert(
      fc.property(value, (v) => {
        const text = stringifyYaml(v);
        const quick = parseYamlQuickly(text, 'x.yaml');
        runs++;
        if (quick === undefined) return true;
        quickRuns++;
        return JSON.stringify(quick.value) === JSON.stringify(parseYamlWithPositions(text, 'x.yaml').value);
      }),
      { numRuns: 300 },
    );
    // Bailing out is always correct, so a fast parser that never answers would pass the property: it must answer
    // for most plain values (it leaves only aliases, tags, duplicates and the like to the full parser).
    expect(quickRuns / runs).toBeGreaterThan(0.9);
  });

  it.each([
    ['an alias', 'a: &x {b: 1}\nc: *x\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['several documents', 'a: 1\n---\nb: 2\n'],
    ['a custom tag', 'a: !custom 1\n'],
    ['a syntax error', 'a: b: c\n'],
    ['an empty file', '# nothing\n'],
  ])('leaves %s to the full parser', (_, text) => {
    expect(parseYamlQuickly(text, 'x.yaml')).toBeUndefined();
  });

  it('points at the key or the value of a nested path, and at the nearest existing node for a missing one', () => {
    const text = 'spec:\n  inputs:\n    nodes: { type: array }\n  steps:\n    - id: a\n      run: echo\n';
    const quick = parseYamlQuickly(text, 'x.yaml')!;
    expect(quick.locate(['spec', 'inputs', 'nodes'], 'key')).toEqual({ line: 3, col: 5 });
    expect(quick.locate(['spec', 'inputs', 'nodes'])).toEqual({ line: 3, col: 12 });
    expect(quick.locate(['spec', 'steps', 0, 'run'])).toEqual({ line: 6, col: 12 });
    expect(quick.locate(['spec', 'steps', 0, 'needs'])).toEqual({ line: 5, col: 7 });
  });
});
