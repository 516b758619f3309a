import { describe, expect, it } from 'vitest';
import {
  containsTemplate, evaluateWhen, ExpressionError, getWholeExpression, parseTemplate, resolveTemplates, type ExprContext,
} from '../../src/expr/template.js';

const ctx: ExprContext = {
  inputs: { nodes: ['worker-0', 'worker-1'], n: 5, ratio: 0.5, window: '1h', flag: true, obj: { a: 1, b: ['x'] }, empty: [] },
  steps: {
    pending: { outputs: { count: 2, csrs: ['csr-1', 'csr-2'] }, status: 'succeeded' },
    'wait-ready': { outputs: { ready: 3 }, status: 'failed' },
  },
  run: { id: 'run-1', startedAt: '2026-11-23T18:00:00.000Z' },
};

describe('resolveTemplates', () => {
  it('keeps the type of a value that is one whole ${{ }}', () => {
    expect(resolveTemplates('${{ inputs.nodes }}', ctx)).toEqual(['worker-0', 'worker-1']);
    expect(resolveTemplates('${{ inputs.n }}', ctx)).toBe(5);
    expect(resolveTemplates('  ${{inputs.flag}}  ', ctx)).toBe(true);
    expect(resolveTemplates('${{ inputs.obj }}', ctx)).toEqual({ a: 1, b: ['x'] });
    expect(resolveTemplates('${{ inputs.ratio }}', ctx)).toBe(0.5);
  });

  it('does integer arithmetic on plain JS numbers and returns numbers, never BigInt', () => {
    expect(resolveTemplates('${{ inputs.n + 1 }}', ctx)).toBe(6);
    expect(resolveTemplates('${{ steps.pending.outputs.count * inputs.n }}', ctx)).toBe(10);
    expect(resolveTemplates('${{ size(inputs.nodes) }}', ctx)).toBe(2);
    expect(resolveTemplates('${{ [1, 2].map(x, x * 2) }}', ctx)).toEqual([2, 4]);
  });

  it('interpolates mixed strings, lists and maps as JSON', () => {
    expect(resolveTemplates('nodes=${{ inputs.nodes.join(",") }} n=${{ inputs.n }}', ctx)).toBe('nodes=worker-0,worker-1 n=5');
    expect(resolveTemplates('list ${{ inputs.nodes }} map ${{ inputs.obj }}', ctx)).toBe('list ["worker-0","worker-1"] map {"a":1,"b":["x"]}');
    expect(resolveTemplates('run ${{ run.id }} at ${{ run.startedAt }}', ctx)).toBe('run run-1 at 2026-11-23T18:00:00.000Z');
  });

  it('walks objects and lists deeply and leaves other values alone', () => {
    const value = { a: ['${{ inputs.n }}', 'plain', 3, null], b: { c: '${{ steps.pending.status }}' }, d: false };
    expect(resolveTemplates(value, ctx)).toEqual({ a: [5, 'plain', 3, null], b: { c: 'succeeded' }, d: false });
  });

  it('reads dashed step ids as written (steps.wait-ready), but not inside string literals', () => {
    expect(resolveTemplates('${{ steps.wait-ready.outputs.ready }}', ctx)).toBe(3);
    expect(resolveTemplates('${{ "steps.wait-ready" }}', ctx)).toBe('steps.wait-ready');
    expect(resolveTemplates('${{ steps["wait-ready"].status }}', ctx)).toBe('failed');
  });

  it('offers replace, toJson and parseJson', () => {
    expect(resolveTemplates('${{ "a-b-c".replace("-", "_") }}', ctx)).toBe('a_b_c');
    expect(resolveTemplates('${{ toJson(inputs.obj) }}', ctx)).toBe('{"a":1,"b":["x"]}');
    expect(resolveTemplates('${{ parseJson("{\\"n\\": 41}").n + 1 }}', ctx)).toBe(42);
  });

  it('throws ExpressionError for bad expressions and missing keys', () => {
    expect(() => resolveTemplates('${{ inputs.n + }}', ctx)).toThrow(ExpressionError);
    expect(() => resolveTemplates('${{ steps.nope.outputs.x }}', ctx)).toThrow(ExpressionError);
    expect(() => resolveTemplates('x ${{ inputs.n', ctx)).toThrow("'${{' is never closed with '}}'");
  });
});

describe('evaluateWhen', () => {
  it('evaluates bare CEL and a ${{ }}-wrapped condition to a boolean', () => {
    expect(evaluateWhen('size(inputs.nodes) > 0', ctx)).toBe(true);
    expect(evaluateWhen('size(inputs.empty) > 0', ctx)).toBe(false);
    expect(evaluateWhen('${{ steps.wait-ready.status == "failed" }}', ctx)).toBe(true);
    expect(evaluateWhen('inputs.n > 3 && inputs.flag', ctx)).toBe(true);
    expect(evaluateWhen(false, ctx)).toBe(false);
  });

  it('rejects a non-boolean result', () => {
    expect(() => evaluateWhen('inputs.n', ctx)).toThrow(/when must evaluate to a boolean, got number 5/);
  });
});

describe('template parsing', () => {
  it('splits text and expressions with the expression offset', () => {
    expect(parseTemplate('a ${{ x }} b')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'expr', source: 'x', offset: 6, start: 2 },
      { kind: 'text', text: ' b' },
    ]);
    expect(getWholeExpression('${{ a }}${{ b }}')).toBeUndefined();
    expect(getWholeExpression(' ${{ a.b }} ')).toBe('a.b');
    expect(containsTemplate({ a: [1, { b: 'x ${{ y }}' }] })).toBe(true);
    expect(containsTemplate({ a: [1, { b: 'x {{ y }}' }] })).toBe(false);
    expect(() => parseTemplate('${{   }}')).toThrow('empty expression');
  });
});

describe('listing references', () => {
  it('lists what templates and when conditions read', async () => {
    const { listTemplateReferences, listWhenReferences } = await import('../../src/expr/template.js');
    const refs = listTemplateReferences({ a: ['${{ steps.pending.outputs.nodes }}'], b: 'x ${{ inputs.n }} ${{ run.id }}', c: 3 });
    expect(refs.map((r) => [r.root, r.name, r.field, r.key])).toEqual([
      ['steps', 'pending', 'outputs', 'nodes'], ['inputs', 'n', undefined, undefined], ['run', 'id', undefined, undefined],
    ]);
    expect(listWhenReferences('${{ steps.a.status == "failed" }}').map((r) => r.name)).toEqual(['a']);
  });
});

describe('extra CEL functions', () => {
  it('keys, values and sorted', () => {
    const c: ExprContext = { ...ctx, steps: { pending: { outputs: { csrs: { 'worker-1': ['b'], 'worker-0': ['a'] } }, status: 'succeeded' } } };
    expect(resolveTemplates('${{ keys(steps.pending.outputs.csrs) }}', c)).toEqual(['worker-0', 'worker-1']);
    expect(resolveTemplates('${{ values(steps.pending.outputs.csrs) }}', c)).toEqual([['a'], ['b']]);
    expect(resolveTemplates('${{ sorted([3, 1, 2]) }}', c)).toEqual([1, 2, 3]);
    expect(resolveTemplates('${{ sorted(["b", "a"]).join(",") }}', c)).toBe('a,b');
    expect(resolveTemplates('${{ size(keys({"x": 1})) }}', c)).toBe(1);
  });
});
