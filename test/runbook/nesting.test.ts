// Deep nesting is refused in the user's terms, at its position, before any recursive parser or check sees it.

import { describe, expect, it } from 'vitest';
import { formatDiagnostic, RunbookError } from '../../src/errors.js';
import { validateRunbookText } from '../../src/runbook/validate.js';
import { MAX_YAML_NESTING } from '../../src/yaml/fast.js';
import { parseYamlDocuments, parseYamlWithPositions } from '../../src/yaml/parse.js';
import { createTestRegistry } from './registry.js';

const registry = createTestRegistry();
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const message = `nesting deeper than ${MAX_YAML_NESTING} levels (maps and lists inside each other)`;

describe('nesting limit', () => {
  it('allows 100 levels and refuses 101 at the 101st', () => {
    expect(validateRunbookText(`a: ${nested(99)}\n`, 'ok.yaml', { registry }).diagnostics.map(formatDiagnostic)).not.toContainEqual(expect.stringContaining('nesting'));
    expect(validateRunbookText(`a: ${nested(100)}\n`, 'deep.yaml', { registry }).diagnostics.map(formatDiagnostic)).toEqual([`deep.yaml:1:103: (yaml): ${message}`]);
  });

  it('reports 100,000 nested lists once, not as a stack overflow and hundreds of echoes', () => {
    const { diagnostics } = validateRunbookText(`${'['.repeat(100_000)}\n`, 'deep.yaml', { registry });
    expect(diagnostics.map(formatDiagnostic)).toEqual([`deep.yaml:1:100: (yaml): ${message}`]);
  });

  it('counts block nesting too (a key inside the 100th map is the 101st level)', () => {
    const text = Array.from({ length: 150 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    expect(validateRunbookText(text, 'block.yaml', { registry }).diagnostics.map(formatDiagnostic)).toEqual([`block.yaml:100:100: (yaml): ${message}`]);
  });

  it('refuses it in the full parser even after a syntax error js-yaml stops at', () => {
    const text = `a: b\n  c: d\nx: ${nested(3000)}\n`;
    const parsed = parseYamlWithPositions(text, 'late.yaml');
    expect(parsed.diagnostics).toHaveLength(1);
    expect(parsed.diagnostics[0]).toMatchObject({ path: '(yaml)', message });
  });

  it('refuses it in --values and scenario files (parseYamlDocuments)', () => {
    try {
      parseYamlDocuments(`a: ${nested(5000)}\n`, 'values.yaml');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RunbookError);
      expect((error as RunbookError).diagnostics.map(formatDiagnostic)).toEqual([`values.yaml:1:103: (yaml): ${message}`]);
    }
  });
});
