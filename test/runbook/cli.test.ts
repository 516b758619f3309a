import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { getRunbookSchema } from '../../src/runbook/index.js';
import { stringifyYaml } from '../../src/yaml/parse.js';

const valid = 'test/fixtures/runbooks/valid';
const invalid = 'test/fixtures/runbooks/invalid';
const temp = mkdtempSync(path.join(tmpdir(), 'opsbook-runbook-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('opsbook validate', () => {
  it('prints ok lines and exits 0 for valid runbooks', async () => {
    const result = await runCli(['validate', `${valid}/minimal.yaml`, `${valid}/shell-dag.yaml`, `${valid}/approve-csrs.yaml`]);
    expect(result.stdout).toBe(`ok: ${valid}/minimal.yaml\nok: ${valid}/shell-dag.yaml\nok: ${valid}/approve-csrs.yaml\n`);
    expect(result.exitCode).toBe(0);
  });

  it('prints every diagnostic as file:line:col and exits 2', async () => {
    const result = await runCli(['validate', `${invalid}/unknown-key.yaml`, `${valid}/minimal.yaml`, `${invalid}/cycle.yaml`]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe(`ok: ${valid}/minimal.yaml\n`);
    expect(result.stderr.split('\n')).toEqual([
      `${invalid}/cycle.yaml:9:15: spec.steps[0].needs[0]: dependency cycle: a → c → b → a`,
      `${invalid}/cycle.yaml:18:15: spec.steps[3].needs[0]: dependency cycle: d → d`,
      `${invalid}/unknown-key.yaml:11:7: spec.steps[1]: unknown key 'need' (did you mean 'needs'?)`,
      '3 problems in 2 of 3 files',
      '',
    ]);
  });

  it('answers JSON with --output json', async () => {
    const result = await runCli(['validate', '--output', 'json', `${invalid}/duplicate-id.yaml`]);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      valid: false,
      diagnostics: [{ file: `${invalid}/duplicate-id.yaml`, line: 9, col: 11, path: 'spec.steps[1].id', message: "duplicate step id 'build' (first used by spec.steps[0])" }],
      warnings: [],
    });
  });

  it('never prints a stack trace for random files: exit 0 or 2 only', async () => {
    const samples = fc.sample(fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.anything({ maxDepth: 3 }).map((v) => stringifyYaml(v)),
      fc.array(fc.constantFrom('apiVersion: opsbook.dev/v1\n', 'kind: Runbook\n', 'spec:\n', '  steps:\n', '    - id: a\n', '      run: x ${{ y }}\n', '[', '{', ': ', '- ', '\t', '&a *a ', '${{', '\n'), { maxLength: 12 }).map((t) => t.join('')),
    ), { numRuns: 80, seed: 42 });
    const files = samples.map((text, i) => {
      const file = path.join(temp, `random-${i}.yaml`);
      writeFileSync(file, text);
      return file;
    });
    const result = await runCli(['validate', ...files, path.join(temp, 'missing.yaml')]);
    expect([0, 2]).toContain(result.exitCode);
    expect(result.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(result.stderr).toContain(`${path.join(temp, 'missing.yaml')}:1:1: (file): cannot read: no such file`);
  });
});

describe('opsbook schema, steps, graph', () => {
  it('schema prints the runbook JSON Schema', async () => {
    const result = await runCli(['schema']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(getRunbookSchema());
  });

  it('steps lists the step types', async () => {
    const list = await runCli(['steps']);
    expect(list.exitCode).toBe(0);
    expect(list.stdout).toMatch(/^shell/m);
    expect(list.stdout).toMatch(/^pause\n {2}\S.*\n {2}with: message\*: string/m);
  });

  it('steps TYPE shows one in detail, as text or JSON', async () => {
    const one = await runCli(['steps', 'pause']);
    expect(one.stdout).toMatch(/^pause\n/);
    expect(one.stdout).toContain('parameters (with:)\n  message: string (required');
    const json = await runCli(['steps', 'sleep', '--output', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ type: 'sleep', mutating: false });
  });

  it('steps with an unknown type is a usage error with a suggestion', async () => {
    const bad = await runCli(['steps', 'pasue']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe("opsbook: unknown step type 'pasue' (did you mean 'pause'?)\n");
  });

  it('graph renders DOT and Mermaid', async () => {
    const dot = await runCli(['graph', `${valid}/shell-dag.yaml`, '--format', 'dot']);
    expect(dot.exitCode).toBe(0);
    expect(dot.stdout).toContain('"left" -> "join";');
    const mermaid = await runCli(['graph', `${valid}/shell-dag.yaml`]);
    expect(mermaid.stdout.startsWith('flowchart TD\n')).toBe(true);
  });

  it('graph refuses an invalid runbook with exit 2 and its diagnostics', async () => {
    const bad = await runCli(['graph', `${invalid}/cycle.yaml`]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`${invalid}/cycle.yaml:9:15: spec.steps[0].needs[0]: dependency cycle: a → c → b → a`);
  });
});
