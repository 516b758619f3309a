import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { parseYamlDocuments, parseYamlWithPositions, stringifyYaml } from '../../src/yaml/parse.js';

const text = `a:
  plain: hello \${{ x }}
  single: 'say \${{ x }}'
  double: "tab\\t\${{ x }}"
  block: |
    line one
      indented \${{ x }}
  list:
    - first
    - { k: v }
`;

describe('positions', () => {
  const parsed = parseYamlWithPositions(text, 'p.yaml');

  it('maps paths to keys and values', () => {
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.locate(['a', 'plain'])).toEqual({ line: 2, col: 10 });
    expect(parsed.locate(['a', 'plain'], 'key')).toEqual({ line: 2, col: 3 });
    expect(parsed.locate(['a', 'list', 1, 'k'])).toEqual({ line: 10, col: 12 });
    expect(parsed.locate(['a', 'missing', 'deeper'])).toEqual({ line: 2, col: 3 });
  });

  it('maps a character inside plain, quoted and literal block strings', () => {
    expect(parsed.locateInString(['a', 'plain'], 6)).toEqual({ line: 2, col: 16 });
    expect(parsed.locateInString(['a', 'single'], 4)).toEqual({ line: 3, col: 16 });
    // escapes make the source differ from the value: fall back to the value's start
    expect(parsed.locateInString(['a', 'double'], 4)).toEqual({ line: 4, col: 11 });
    const value = (parsed.value as { a: { block: string } }).a.block;
    expect(parsed.locateInString(['a', 'block'], value.indexOf('${{'))).toEqual({ line: 7, col: 16 });
  });
});

describe('multi-document helpers', () => {
  it('parses every document and round-trips through stringifyYaml', () => {
    expect(parseYamlDocuments('a: 1\n---\n- x\n---\n')).toEqual([{ a: 1 }, ['x']]);
    const value = { name: 'x', list: [1, 'two', { three: true }], empty: {} };
    expect(parseYamlDocuments(stringifyYaml(value))).toEqual([value]);
  });

  it('reports all syntax errors with positions', () => {
    try {
      parseYamlDocuments('a: [1, 2\nb: "x\n', 'bad.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RunbookError);
      const diagnostics = (error as RunbookError).diagnostics;
      expect(diagnostics.length).toBeGreaterThanOrEqual(2);
      expect(diagnostics.every((d) => d.file === 'bad.yaml' && d.line >= 1 && d.col >= 1)).toBe(true);
    }
  });
});
