// Hostile files through the real CLI: each is refused with exit 2 and a clear message, at once, before any step runs.

import { execFileSync } from 'node:child_process';
import { existsSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, useTempDir } from './fixtures.js';

const tmp = useTempDir();

const mkfifo = (name: string): string => {
  const fifo = path.join(tmp.dir, name);
  execFileSync('mkfifo', [fifo]);
  return fifo;
};

// Far longer than a refusal takes, far shorter than the 60 s default: a hang shows as timedOut, not as a slow pass.
const HANG = { timeout: 20_000 };

describe('hostile input files', { timeout: 60_000 }, () => {
  it('validate refuses a FIFO with no writer instead of waiting forever', async () => {
    const fifo = mkfifo('runbook.yaml');
    const r = await runCli(['validate', fifo], HANG);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${fifo}:1:1: (file): cannot read: is a named pipe (FIFO), not a regular file`);
  });

  it('run refuses a FIFO as --values and as the runbook, before any step runs', async () => {
    const values = mkfifo('values.yaml');
    const r = await runCli(['run', fixture('touch.yaml'), '--values', values, '--state-dir', tmp.stateDir], HANG);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`opsbook: cannot read ${values}: is a named pipe (FIFO), not a regular file\n`);
    expect(existsSync(tmp.stateDir)).toBe(false);
    const runbook = mkfifo('runbook.yaml');
    const r2 = await runCli(['plan', runbook], HANG);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toBe(`opsbook: cannot read ${runbook}: is a named pipe (FIFO), not a regular file\n`);
  });

  it('sim serve refuses a FIFO scenario', async () => {
    const scenario = mkfifo('scenario.yaml');
    const r = await runCli(['sim', 'serve', '--scenario', scenario], HANG);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`cannot read ${scenario}: is a named pipe (FIFO), not a regular file`);
  });

  it('refuses /dev/zero without reading it', async () => {
    const r = await runCli(['validate', '/dev/zero'], HANG);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('/dev/zero:1:1: (file): cannot read: is a device, not a regular file');
  });

  it('refuses a file over the 4 MiB limit before reading it', async () => {
    const big = path.join(tmp.dir, 'big.yaml');
    writeFileSync(big, '');
    truncateSync(big, 50 * 1024 * 1024);
    const r = await runCli(['graph', big], HANG);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`opsbook: cannot read ${big}: file is 50 MiB, over the 4 MiB limit for input files\n`);
  });

  it('names a UTF-16 runbook instead of printing its NUL bytes', async () => {
    const utf16 = path.join(tmp.dir, 'utf16.yaml');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('apiVersion: opsbook.dev/v1\nkind: Runbook\n', 'utf16le')]));
    const r = await runCli(['validate', utf16], HANG);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`${utf16}:1:1: (file): cannot read: file is UTF-16 encoded; save it as UTF-8\n1 problem in 1 of 1 file\n`);
    expect(r.stderr).not.toContain('\0');
  });

  it('refuses a binary file', async () => {
    const binary = path.join(tmp.dir, 'binary.yaml');
    writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x1b, 0x5b, 0x32, 0x4a]));
    const r = await runCli(['validate', binary], HANG);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${binary}:1:1: (file): cannot read: file looks binary (it contains NUL bytes); expected UTF-8 text`);
  });

  it('reports deep nesting in the user\'s terms, once, instead of "Maximum call stack size exceeded"', async () => {
    const deep = path.join(tmp.dir, 'deep.yaml');
    writeFileSync(deep, `${'['.repeat(100_000)}\n`);
    const r = await runCli(['validate', deep], HANG);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`${deep}:1:100: (yaml): nesting deeper than 100 levels (maps and lists inside each other)\n1 problem in 1 of 1 file\n`);
    const values = path.join(tmp.dir, 'values.yaml');
    writeFileSync(values, `mark: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    const run = await runCli(['run', fixture('touch.yaml'), '--values', values, '--state-dir', tmp.stateDir], HANG);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(`${values}:1:106: (yaml): nesting deeper than 100 levels (maps and lists inside each other)\n1 problem found; nothing was run\n`);
  });

  describe('escape sequences from user input reach the terminal only as visible escapes', () => {
    const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
    const ESC_RUNBOOK = [
      'apiVersion: opsbook.dev/v1',
      'kind: Runbook',
      'metadata: { name: esc }',
      'spec:',
      '  steps:',
      '    - id: a',
      `      run: printf 'out \\033[2J\\033]0;pwned\\007 done\\n'; printf 'err \\033[31m\\n' >&2; exit 3`,
      '',
    ].join('\n');

    it('run: step output, errors and the runbook path, in plain output and in `runs`', async () => {
      const file = path.join(tmp.dir, 'evil\u001b[2J.yaml');
      writeFileSync(file, ESC_RUNBOOK);
      const r = await runCli(['run', file, '--state-dir', tmp.stateDir]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain('a | out \\x1b[2J\\x1b]0;pwned\\x07 done');
      expect(r.stdout).toContain('a ! err \\x1b[31m');
      expect(r.stdout).toContain('evil\\x1b[2J.yaml');
      expect(r.stdout).not.toMatch(RAW_CONTROL);
      expect(r.stderr).not.toMatch(RAW_CONTROL);
      const runs = await runCli(['runs', '--state-dir', tmp.stateDir]);
      expect(runs.stdout).toContain('evil\\x1b[2J.yaml');
      expect(runs.stdout).not.toMatch(RAW_CONTROL);
    });

    it('errors: diagnostics quoting the file and a bad run id', async () => {
      const file = path.join(tmp.dir, 'bad.yaml');
      writeFileSync(file, 'apiVersion: opsbook.dev/v1\nkind: Runbook\nmetadata: { name: esc }\nspec:\n  "\\e]0;pwned\\a": 1\n  steps: []\n');
      const run = await runCli(['run', file, '--state-dir', tmp.stateDir]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain("spec: unknown key '\\x1b]0;pwned\\x07'");
      expect(run.stderr).not.toMatch(RAW_CONTROL);
      const validate = await runCli(['validate', file]);
      expect(validate.exitCode).toBe(2);
      expect(validate.stderr).toContain("spec: unknown key '\\x1b]0;pwned\\x07'");
      expect(validate.stderr).not.toMatch(RAW_CONTROL);
      const json = await runCli(['validate', '--output', 'json', file]);
      expect(json.stdout).not.toMatch(RAW_CONTROL);
      const resume = await runCli(['resume', '\u001b[2J\u009b31m', '--state-dir', tmp.stateDir]);
      expect(resume.exitCode).toBe(2);
      expect(resume.stderr).toBe('opsbook: \\x1b[2J\\u009b31m is not a run id (see `opsbook runs`)\n');
    });
  });
});
