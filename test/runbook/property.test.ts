import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RunbookError } from '../../src/errors.js';
import { loadRunbookText, resolveInputs, validateRunbookText } from '../../src/runbook/index.js';
import { evaluateWhen, ExpressionError, resolveTemplates } from '../../src/expr/template.js';
import { stringifyYaml } from '../../src/yaml/parse.js';
import { createTestRegistry } from './registry.js';

const registry = createTestRegistry();

/** Validation may only answer with diagnostics (or a runbook); anything thrown is a crash. */
function assertNoCrash(text: string): void {
  const result = validateRunbookText(text, 'prop.yaml', { registry });
  for (const d of result.diagnostics) {
    expect(d.file).toBe('prop.yaml');
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.col).toBeGreaterThanOrEqual(1);
    expect(typeof d.message).toBe('string');
  }
  expect(result.runbook !== undefined || result.diagnostics.length > 0).toBe(true);
  try {
    loadRunbookText(text, 'prop.yaml', { registry });
  } catch (error) {
    expect(error).toBeInstanceOf(RunbookError);
  }
}

const expression = fc.oneof(
  fc.constantFrom('inputs.n', 'inputs.nodes', 'steps.a.outputs.x', 'steps.b.status', 'run.id', 'size(inputs.nodes) > 0', 'steps', 'inputs', '1 +', '"${{"', ')(', 'steps.a-b.outputs'),
  fc.string({ maxLength: 20 }),
);
const templated = fc.oneof(
  expression.map((e) => `\${{ ${e} }}`),
  fc.tuple(fc.string({ maxLength: 5 }), expression).map(([a, e]) => `${a}\${{ ${e} }}${a}`),
  fc.constant('${{ unclosed'),
);
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), templated,
  fc.constantFrom('90s', '1h30m', '500ms', '5 minutes', '-1s', 'transient', 'a', 'b', 'shell', 'wait-for-pending', 'pause'));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 })),
})).value;

const stepKeys = ['id', 'name', 'uses', 'run', 'with', 'env', 'workingDirectory', 'needs', 'when', 'always', 'continueOnError', 'timeout', 'retry', 'need'];
const step = fc.dictionary(fc.constantFrom(...stepKeys), fc.oneof(value, fc.constantFrom('a', 'b', 'c'), fc.array(fc.constantFrom('a', 'b', 'c', 'x'), { maxLength: 3 }),
  fc.record({ attempts: value, backoff: fc.record({ initial: scalar, max: scalar, factor: scalar }), on: value }, { requiredKeys: [] })), { maxKeys: 8 });
const runbookLike = fc.record({
  apiVersion: fc.oneof(fc.constant('opsbook.dev/v1'), scalar),
  kind: fc.oneof(fc.constant('Runbook'), scalar),
  metadata: fc.oneof(fc.record({ name: fc.oneof(fc.constantFrom('ok', 'x-y'), scalar) }), value),
  spec: fc.oneof(
    fc.record({
      inputs: fc.dictionary(fc.constantFrom('n', 'nodes', 'bad-name', 's'), fc.record({ type: fc.oneof(fc.constantFrom('string', 'integer', 'array', 'secret', 'duration'), scalar), default: value }, { requiredKeys: [] })),
      deadline: scalar,
      concurrency: scalar,
      defaults: value,
      lock: value,
      steps: fc.oneof(fc.array(step, { maxLength: 5 }), value),
    }, { requiredKeys: ['steps'] }),
    value,
  ),
}, { requiredKeys: [] });

describe('validation never crashes on random input', () => {
  it('random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), assertNoCrash), { numRuns: 300 });
  });

  it('random YAML-ish text built from YAML punctuation', () => {
    const token = fc.constantFrom('a', ':', ' ', '\n', '- ', '[', ']', '{', '}', ',', '"', "'", '&x ', '*x', '!!str ', '? ', '|', '>', '#', '---\n', '\t', '${{', '}}', '%YAML 1.2\n', 'steps:', '  ');
    fc.assert(fc.property(fc.array(token, { maxLength: 60 }).map((t) => t.join('')), assertNoCrash), { numRuns: 400 });
  });

  it('random YAML documents of random values', () => {
    fc.assert(fc.property(value, (v) => assertNoCrash(stringifyYaml(v))), { numRuns: 300 });
  });

  it('random runbook-shaped documents', () => {
    fc.assert(fc.property(runbookLike, (doc) => assertNoCrash(stringifyYaml(doc))), { numRuns: 500 });
  });

  it('alias bombs are refused, not expanded', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    const result = validateRunbookText(bomb, 'bomb.yaml', { registry });
    expect(result.diagnostics.length).toBeGreaterThan(0);
  });
});

describe('validation never crashes with the built-in step types', () => {
  it('random parameters for every registered step type', async () => {
    const { createStepRegistry } = await import('../../src/steps/registry.js');
    const builtIn = createStepRegistry();
    const types = builtIn.list().map((t) => t.type);
    const doc = fc.record({
      uses: fc.constantFrom('shell', ...types),
      with: fc.oneof(value, fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 4 })),
    }).map(({ uses, with: params }) => ({
      apiVersion: 'opsbook.dev/v1', kind: 'Runbook', metadata: { name: 'p' }, spec: { steps: [{ id: 'a', uses, with: params }] },
    }));
    fc.assert(fc.property(doc, (d) => {
      const result = validateRunbookText(stringifyYaml(d), 'prop.yaml', { registry: builtIn });
      expect(Array.isArray(result.diagnostics)).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('inputs and templates never crash on random values', () => {
  const runbook = loadRunbookText(`apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: p }
spec:
  inputs:
    s: { type: string, default: x }
    n: { type: number, default: 1 }
    i: { type: integer, default: 1 }
    b: { type: boolean, default: true }
    d: { type: duration, default: 1s }
    a: { type: array, items: { type: integer }, default: [] }
    o: { type: object, default: {} }
    e: { type: string, enum: [x, y], default: x }
    k: { type: secret, fromEnv: K }
  steps: [{ id: a, run: echo }]
`, 'p.yaml', { registry });

  it('resolveInputs answers with values or a RunbookError', async () => {
    const name = fc.constantFrom('s', 'n', 'i', 'b', 'd', 'a', 'o', 'e', 'k', 'zz', '', '=');
    const set = fc.array(fc.tuple(name, fc.oneof(fc.string({ maxLength: 10 }), fc.json())).map(([k, v]) => `${k}=${v}`), { maxLength: 5 });
    const values = fc.dictionary(name, value, { maxKeys: 4 });
    await fc.assert(fc.asyncProperty(set, values, fc.option(fc.string({ maxLength: 8 })), async (s, v, k) => {
      try {
        const resolved = await resolveInputs(runbook, { set: s, values: v, env: k === null ? {} : { K: k } });
        expect(Object.keys(resolved.values).sort()).toEqual(['a', 'b', 'd', 'e', 'i', 'k', 'n', 'o', 's']);
      } catch (error) {
        expect(error).toBeInstanceOf(RunbookError);
      }
    }), { numRuns: 300 });
  });

  it('resolveTemplates answers with a value or an ExpressionError', () => {
    const source = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('inputs.n + 1', 'inputs.a.map(x, x * 2)', 'steps.a.outputs.x', 'size(inputs.s)', 'inputs.o.k', '1 / 0', 'int("x")', 'inputs.n / 0.0'));
    const ctx = { inputs: { n: 2, s: 'abc', a: [1, 2], o: {} }, steps: { a: { outputs: { x: 1 }, status: 'succeeded' } }, run: { id: 'r', startedAt: 't' } };
    fc.assert(fc.property(source, fc.boolean(), (src, whole) => {
      try {
        resolveTemplates(whole ? `\${{ ${src} }}` : `x \${{ ${src} }} y`, ctx);
        evaluateWhen(src, ctx);
      } catch (error) {
        expect(error).toBeInstanceOf(ExpressionError);
      }
    }), { numRuns: 500 });
  });
});
