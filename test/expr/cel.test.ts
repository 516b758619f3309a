import { describe, expect, it } from 'vitest';
import { checkCel, compileExpression, evaluateCel, ExpressionError, fromCel, toCel } from '../../src/expr/cel.js';

describe('compileExpression references', () => {
  it('lists what an expression reads from the AST', () => {
    const { references } = compileExpression('steps.wait-ready.outputs.count + inputs["n"] > 0 && run.id != "" && steps.a.status == "ok"');
    expect(references).toEqual([
      { root: 'steps', name: 'wait-ready', field: 'outputs', key: 'count' },
      { root: 'inputs', name: 'n' },
      { root: 'run', name: 'id' },
      { root: 'steps', name: 'a', field: 'status' },
    ].map((r) => ({ field: undefined, key: undefined, ...r })));
  });

  it('sees references inside macros and computed indexes', () => {
    const refs = compileExpression('inputs.nodes.filter(n, n != inputs.skip)[inputs.i]').references;
    expect(refs.every((r) => r.root === 'inputs')).toBe(true);
    expect(new Set(refs.map((r) => r.name))).toEqual(new Set(['nodes', 'skip', 'i']));
  });

  it('rejects unknown variables and syntax errors with a column', () => {
    expect(() => compileExpression('foo.bar')).toThrow('Unknown variable: foo');
    try {
      compileExpression('inputs.x +');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExpressionError);
      expect((error as ExpressionError).column).toBe(11);
    }
  });
});

describe('evaluateCel / checkCel over any variables', () => {
  it('evaluates with plain numbers in and out', () => {
    expect(evaluateCel('response.status == 200 && parseJson(response.body).items.size() == 2', { response: { status: 200, body: '{"items":[1,2]}' } })).toBe(true);
    expect(evaluateCel('object.status.replicas - 1', { object: { status: { replicas: 3 } } })).toBe(2);
  });

  it('reports compile errors as text', () => {
    expect(checkCel('response.status ==', ['response'])).toMatch(/Unexpected token/);
    expect(checkCel('other.x', ['response'])).toBe('Unknown variable: other');
    expect(checkCel('response.status == 200', ['response'])).toBeUndefined();
  });
});

describe('number conversion at the CEL boundary', () => {
  it('turns integral numbers into BigInt and back', () => {
    expect(toCel({ a: [1, 1.5, 'x'], b: { c: 2 } })).toEqual({ a: [1n, 1.5, 'x'], b: { c: 2n } });
    expect(fromCel({ a: [1n, 1.5], m: new Map([['k', 3n]]), t: new Date(0) })).toEqual({ a: [1, 1.5], m: { k: 3 }, t: '1970-01-01T00:00:00.000Z' });
  });
});

describe('dashed step ids', () => {
  it('keeps error columns in terms of the source as written', () => {
    try {
      compileExpression('steps.wait-ready.status == "ok" &&');
      expect.unreachable();
    } catch (error) {
      expect((error as ExpressionError).column).toBe(35);
    }
    expect(() => compileExpression('steps.a-b.outputs.x + steps.c-d.outputs.y')).not.toThrow();
    expect(compileExpression('steps.a-b.outputs.x + steps.c-d.outputs.y').references.map((r) => r.name)).toEqual(['a-b', 'c-d']);
  });
});
