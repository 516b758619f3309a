import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { checkRunbookFiles, loadRunbook, loadRunbookText } from '../../src/runbook/index.js';
import { formatDiagnostic, RunbookError } from '../../src/errors.js';
import { createTestRegistry } from './registry.js';

const registry = createTestRegistry();
const fixtures = 'test/fixtures/runbooks';
const invalid = (name: string): string => path.join(fixtures, 'invalid', name);

async function lines(file: string): Promise<string[]> {
  return (await checkRunbookFiles([file], { registry })).map(formatDiagnostic);
}

describe('validation reports every problem at file:line:col', () => {
  const cases: Record<string, string[]> = {
    'yaml-syntax.yaml': [
      "5:3: (yaml): duplicate key 'name' (each key may appear once in a map)",
      '10:1: (yaml): Missing closing "quote',
      '10:1: (yaml): Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    // a duplicate key leaves a usable document: schema and semantic errors are reported with it, in one pass
    'yaml-and-schema.yaml': [
      '6:16: spec.concurrency: must be ≥ 1, got 0',
      "10:7: (yaml): duplicate key 'run' (each key may appear once in a map)",
      "13:15: spec.steps[1].needs[0]: needs unknown step 'zz'",
    ],
    'unknown-key.yaml': ["11:7: spec.steps[1]: unknown key 'need' (did you mean 'needs'?)"],
    'duplicate-id.yaml': ["9:11: spec.steps[1].id: duplicate step id 'build' (first used by spec.steps[0])"],
    'unknown-need.yaml': ["11:22: spec.steps[1].needs[1]: needs unknown step 'fecth' (did you mean 'fetch'?)"],
    'cycle.yaml': ['9:15: spec.steps[0].needs[0]: dependency cycle: a → c → b → a', '18:15: spec.steps[3].needs[0]: dependency cycle: d → d'],
    'unknown-uses.yaml': ["8:13: spec.steps[0].uses: unknown step type 'wait-for-pendng' (did you mean 'wait-for-pending'?)"],
    'bad-with.yaml': [
      "13:19: spec.steps[0].with.interval: must be a duration like 10s, got '5 minutes'",
      '14:17: spec.steps[0].with.expect: must be ≥ 1, got 0',
      "15:9: spec.steps[0].with: unknown key 'extra' (expected one of: nodes, interval, expect)",
      "18:13: spec.steps[1].with: missing required key 'message'",
      "21:22: spec.steps[2].with.nodes: 'localhost' is not a node name",
    ],
    'bad-cel.yaml': [
      `12:40: spec.steps[0].env.X: invalid expression 'inputs.nodes.join(",") +': Unexpected token: EOF at column 25`,
      "13:33: spec.steps[0].when: invalid expression 'size(inputs.nodes) >': Unexpected token: EOF at column 21",
      "16:32: spec.steps[1].with.message: '${{' is never closed with '}}'",
      "19:13: spec.steps[2].when: must be a condition (bool), but 'size(inputs.nodes) + 1' is of type int",
    ],
    'bad-references.yaml': [
      '8:13: spec.deadline: the deadline is set when the run starts: it can use inputs and run, not steps',
      "12:23: spec.steps[0].with.nodes: unknown input 'node' (did you mean 'nodes'?)",
      "16:16: spec.steps[1].env.COUNT: reads steps.pending.outputs but does not depend on 'pending': add it to needs (directly or through a step that needs it)",
      "17:15: spec.steps[1].env.CSRS: step 'pending' (wait-for-pending) has no output 'csr' (did you mean 'csrs'?)",
      "17:15: spec.steps[1].env.CSRS: reads steps.pending.outputs but does not depend on 'pending': add it to needs (directly or through a step that needs it)",
      "18:16: spec.steps[1].env.OTHER: unknown step 'nope'",
      '19:14: spec.steps[1].env.RUN: unknown field run.user (run has id and startedAt)',
      "23:18: spec.steps[2].env.S: reads steps.pending.status but does not depend on 'pending': add it to needs (directly or through a step that needs it)",
      "24:13: spec.steps[2].when: reads steps.unrelated.status but does not depend on 'unrelated': add it to needs (directly or through a step that needs it)",
    ],
    'backoff.yaml': [
      '9:37: spec.defaults.retry.backoff.max: must be ≥ initial (got 5s < 10s)',
      '16:16: spec.steps[0].retry.backoff.max: must be ≥ initial (got 30s < 1m)',
      '19:36: spec.steps[1].retry.backoff.initial: must be ≤ the backoff max it inherits from spec.defaults.retry (got 20s > 5s)',
    ],
    'template-in-run.yaml': [
      '13:36: spec.steps[0].run: ${{ }} is not allowed in a shell script (it would be pasted into the code: script injection); pass the value through env: (e.g. env: { NODES: "${{ inputs.nodes }}" }) and use "$NODES"',
      '16:26: spec.steps[1].with.run: ${{ }} is not allowed in a shell script (it would be pasted into the code: script injection); pass the value through env: (e.g. env: { TARGET: "${{ inputs.target }}" }) and use "$TARGET"',
    ],
    'schema-values.yaml': [
      "4:9: metadata.name: must be a DNS-1123 label (lowercase letters, digits and -, at most 63), got 'Bad_Name'",
      "5:3: metadata: unknown key 'labels' (expected one of: name, description)",
      `8:16: spec.inputs.n.type: must be one of "string", "number", "integer", "boolean", "array", "object", "duration", "secret", got 'integr' (did you mean 'integer'?)`,
      "9:5: spec.inputs: key 'my-input' must be an input name (letters, digits, _)",
      "10:38: spec.inputs.count.default: must be an integer, got 'x'",
      "11:13: spec.deadline: must be a duration like 90s or 1h30m, or a ${{ }} expression, got '5 minutes'",
      '12:16: spec.concurrency: must be ≥ 1, got 0',
      "14:11: spec.steps[0].id: must be a step id of lowercase letters, digits and -, got 'A'",
      "16:16: spec.steps[0].timeout: must be a duration like 90s or 1h30m, got '5 minutes'",
      `17:32: spec.steps[0].retry.on[1]: must be one of "transient", "timeout", "any", got 'sometimes'`,
      "18:7: spec.steps[1]: has both 'uses' and 'run': a step is either a step type or a shell script, keep one",
      "21:7: spec.steps[2]: needs 'uses' (a step type, see `opsbook steps`) or 'run' (a shell script)",
    ],
    'template-placement.yaml': [
      '5:25: metadata.description: ${{ }} is not evaluated here: expressions work in with, env, when and spec.deadline',
      '8:36: spec.inputs.who.default: ${{ }} is not evaluated here: expressions work in with, env, when and spec.deadline',
      '11:19: spec.steps[0].name: ${{ }} is not evaluated here: expressions work in with, env, when and spec.deadline',
      "14:15: spec.steps[0].needs[0]: must be a step id of lowercase letters, digits and -, got '${{ inputs.who }}'",
    ],
    'missing-top.yaml': ["1:1: (root): missing required key 'metadata'"],
    'not-a-map.yaml': ['1:1: (root): must be a map, got a list'],
  };
  for (const [name, expected] of Object.entries(cases)) {
    it(name, async () => {
      const file = invalid(name);
      expect(await lines(file)).toEqual(expected.map((line) => `${file}:${line}`));
    });
  }

  it('every invalid fixture is covered by a case above', async () => {
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(path.join(fixtures, 'invalid')).sort()).toEqual(Object.keys(cases).sort());
  });
});

describe('loadRunbook', () => {
  it('throws a RunbookError carrying all diagnostics sorted by position', async () => {
    const error = await loadRunbook(invalid('bad-with.yaml'), { registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunbookError);
    const diagnostics = (error as RunbookError).diagnostics;
    expect(diagnostics).toHaveLength(5);
    expect(diagnostics.map((d) => d.line)).toEqual([13, 14, 15, 18, 21]);
  });

  it('accepts the valid fixtures', async () => {
    for (const name of ['approve-csrs.yaml', 'minimal.yaml', 'shell-dag.yaml']) {
      const file = path.join(fixtures, 'valid', name);
      await expect(loadRunbook(file, { registry })).resolves.toMatchObject({ file, apiVersion: 'opsbook.dev/v1' });
    }
  });

  it('reports an unreadable file as a usage problem, and as a diagnostic in checkRunbookFiles', async () => {
    await expect(loadRunbook('nope/missing.yaml', { registry })).rejects.toThrow(/cannot read nope\/missing.yaml: no such file/);
    expect(await lines('nope/missing.yaml')).toEqual(['nope/missing.yaml:1:1: (file): cannot read: no such file']);
  });

  it('reports an empty file and a second document', () => {
    const at = (text: string): string[] => {
      try {
        loadRunbookText(text, 'x.yaml', { registry });
        return [];
      } catch (error) {
        return (error as RunbookError).diagnostics.map(formatDiagnostic);
      }
    };
    expect(at('')).toEqual(['x.yaml:1:1: (root): the file is empty: expected a runbook (apiVersion: opsbook.dev/v1, kind: Runbook, metadata, spec)']);
    const valid = readFileSync(path.join(fixtures, 'valid', 'minimal.yaml'), 'utf8');
    expect(at(`${valid}---\nkind: Other\n`)).toEqual(['x.yaml:9:1: (yaml): expected one YAML document, found 2 (one runbook per file)']);
  });

  it('checks the document after a duplicate key (the later one wins and is pointed at), but not after a fatal syntax error', () => {
    const at = (text: string): string[] => {
      try {
        loadRunbookText(text, 'x.yaml', { registry });
        return [];
      } catch (error) {
        return (error as RunbookError).diagnostics.map(formatDiagnostic);
      }
    };
    const head = 'apiVersion: opsbook.dev/v1\nkind: Runbook\nmetadata:\n';
    expect(at(`${head}  name: ok\n  name: Bad_Name\nspec:\n  steps: [{ id: a, run: echo }]\n`)).toEqual([
      "x.yaml:5:3: (yaml): duplicate key 'name' (each key may appear once in a map)",
      "x.yaml:5:9: metadata.name: must be a DNS-1123 label (lowercase letters, digits and -, at most 63), got 'Bad_Name'",
    ]);
    // needs: [zz] would be reported if the broken document were checked
    expect(at(`${head}  name: ok\nspec:\n  steps:\n    - id: a\n      needs: [zz]\n      run: [echo, "unterminated\n`)).toEqual([
      'x.yaml:10:1: (yaml): Missing closing "quote',
      'x.yaml:10:1: (yaml): Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('supports anchors and << merge keys, with positions of the overriding keys', () => {
    const text = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: merge }
spec:
  steps:
    - &base
      id: a
      run: echo a
      timeout: 1m
    - <<: *base
      id: b
      needs: [a]
    - <<: *base
      id: c
      timeout: soon
`;
    expect(() => loadRunbookText(text, 'm.yaml', { registry })).toThrow(expect.objectContaining({
      diagnostics: [{ file: 'm.yaml', line: 15, col: 16, path: 'spec.steps[2].timeout', message: "must be a duration like 90s or 1h30m, got 'soon'" }],
    }));
    const fixed = loadRunbookText(text.replace('soon', '2m'), 'm.yaml', { registry });
    expect(fixed.steps.map((s) => [s.id, s.timeoutMs, s.with.run])).toEqual([['a', 60_000, 'echo a'], ['b', 60_000, 'echo a'], ['c', 120_000, 'echo a']]);
  });

  it('requires a templated deadline to name a duration input', () => {
    const text = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: dl }
spec:
  inputs: { window: { type: integer, default: 5 } }
  deadline: \${{ inputs.window }}
  steps: [{ id: a, run: echo }]
`;
    expect(() => loadRunbookText(text, 'dl.yaml', { registry })).toThrow(expect.objectContaining({
      diagnostics: [{ file: 'dl.yaml', line: 6, col: 13, path: 'spec.deadline', message: "must be a duration, but input 'window' is of type integer (declare it type: duration)" }],
    }));
  });

  it('skips templated values in `with` at validation (checked again at run time)', () => {
    const text = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: t }
spec:
  inputs: { nodes: { type: array }, n: { type: integer, default: 2 } }
  steps:
    - id: a
      uses: wait-for-pending
      with: { nodes: "\${{ inputs.nodes }}", expect: "\${{ inputs.n }}" }
`;
    expect(loadRunbookText(text, 't.yaml', { registry }).steps[0]!.with).toEqual({ nodes: '${{ inputs.nodes }}', expect: '${{ inputs.n }}' });
  });

  it('accepts dependencies through intermediate steps and outputs of shell steps (free-form)', () => {
    const text = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: t }
spec:
  steps:
    - { id: one, run: echo 1 }
    - { id: two, run: echo 2, needs: one }
    - { id: three, run: 'echo "$X"', needs: [two], env: { X: "\${{ steps.one.outputs.whatever }}" } }
`;
    expect(loadRunbookText(text, 't.yaml', { registry }).steps[2]!.needs).toEqual(['two']);
  });
});

describe('oneOf/anyOf in step schemas', () => {
  const oneOfStep = {
    type: 'inventory', description: 'test', mutating: false, outputs: {}, run: async () => ({}),
    schema: {
      type: 'object', additionalProperties: false,
      properties: {
        nodes: { oneOf: [{ type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string' }, addresses: { type: 'array', items: { type: 'string' } } } }] } }, { type: 'object', required: ['inventory'] }] },
        every: { oneOf: [{ type: 'string', pattern: '^[0-9]+s$' }, { type: 'integer', minimum: 0 }] },
      },
    },
  };
  const registry = createTestRegistry([oneOfStep]);
  const check = (withText: string): string[] => {
    const text = `apiVersion: opsbook.dev/v1\nkind: Runbook\nmetadata: { name: t }\nspec:\n  inputs: { a: { type: array } }\n  steps:\n    - id: s\n      uses: inventory\n      with: ${withText}\n`;
    try {
      loadRunbookText(text, 't.yaml', { registry });
      return [];
    } catch (error) {
      return (error as RunbookError).diagnostics.map(formatDiagnostic);
    }
  };

  it('reports the errors of the one branch that fits the value type, not the combinator', () => {
    expect(check('{ nodes: [{ nam: x }] }')).toEqual([
      "t.yaml:9:23: spec.steps[0].with.nodes[0]: missing required key 'name'",
      "t.yaml:9:25: spec.steps[0].with.nodes[0]: unknown key 'nam' (did you mean 'name'?)",
    ]);
    expect(check('{ every: -1 }')).toEqual(['t.yaml:9:22: spec.steps[0].with.every: must be ≥ 0, got -1']);
  });

  it('names the allowed types when no branch fits', () => {
    expect(check('{ nodes: 5, every: true }')).toEqual([
      't.yaml:9:22: spec.steps[0].with.nodes: must be a list or a map, got 5',
      't.yaml:9:32: spec.steps[0].with.every: must be a string or an integer, got true',
    ]);
  });

  it('leaves a oneOf holding a template to run time', () => {
    expect(check('{ nodes: [{ name: x, addresses: "${{ inputs.a }}" }] }')).toEqual([]);
  });
});

describe('precompiled and runtime-compiled validators agree', () => {
  it('reports the same diagnostics for a schema whether it was precompiled or not', async () => {
    const { validateAgainstSchema } = await import('../../src/schema/ajv.js');
    const { runbookSchema } = await import('../../src/runbook/schema.js');
    const copy = JSON.parse(JSON.stringify(runbookSchema)) as object; // same content → precompiled; a changed one → compiled now
    const changed = { ...copy, title: 'changed' };
    const doc = { apiVersion: 'v0', kind: 'Runbook', metadata: { name: 'X' }, spec: { steps: [{ id: 'a', need: [] }], concurrency: 0 } };
    expect(validateAgainstSchema(changed, doc)).toEqual(validateAgainstSchema(copy, doc));
    expect(validateAgainstSchema(copy, doc).length).toBeGreaterThan(3);
  });
});

describe('large runbooks', () => {
  const header = 'apiVersion: opsbook.dev/v1\nkind: Runbook\nmetadata: { name: big }\nspec:\n  steps:\n';

  it('validates a 10,000-step chain whose last step reads the first (no recursion limits)', () => {
    const n = 10_000;
    let text = header;
    for (let i = 0; i < n; i++) text += `    - { id: s${i}, run: "true"${i ? `, needs: [s${i - 1}]` : ''}${i === n - 1 ? ', env: { X: "${{ steps.s0.outputs.x }}" }' : ''} }\n`;
    const runbook = loadRunbookText(text, 'big.yaml', { registry });
    expect(runbook.steps).toHaveLength(n);
    expect(runbook.steps[n - 1]!.position).toEqual({ line: 5 + n, col: 7 });
  });

  it('reports a 10,000-step cycle once, and a missing dependency deep in a long chain', () => {
    const n = 10_000;
    let text = header;
    for (let i = 0; i < n; i++) text += `    - { id: s${i}, run: "true", needs: [s${(i + 1) % n}] }\n`;
    text += '    - { id: other, run: "true" }\n    - { id: reader, run: "true", needs: [other], env: { X: "${{ steps.lonely.status }}" } }\n    - { id: lonely, run: "true" }\n';
    const error = (() => {
      try {
        loadRunbookText(text, 'cycle.yaml', { registry });
      } catch (e) {
        return e as RunbookError;
      }
      throw new Error('expected a RunbookError');
    })();
    const messages = error.diagnostics.map((d) => d.message);
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^dependency cycle: s0 → s1 → s2 → .* → s9999 → s0$/);
    expect(messages[1]).toBe("reads steps.lonely.status but does not depend on 'lonely': add it to needs (directly or through a step that needs it)");
  });
});
