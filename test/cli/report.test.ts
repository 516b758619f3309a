// `opsbook report` and `run --report` end to end: a secret never reaches a report, an interrupted or killed run still renders.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { journalText, makeTempDir, runIds, type TempDir } from './fixtures.js';

const reportFixture = (name: string) => path.join(path.dirname(new URL(import.meta.url).pathname), '../report/fixtures', name);
const SECRET = 'pa55-report-s3cret';

let tmp: TempDir;
beforeEach(() => (tmp = makeTempDir()));
afterEach(() => tmp.cleanup());

const report = (id: string, format: string) => runCli(['report', id, '--format', format, '--state-dir', tmp.stateDir]);

describe('opsbook report', () => {
  it('never shows a secret value: the run echoes it to stdout, stderr, an output and an error, and none of the three formats has it', async () => {
    const file = path.join(tmp.dir, 'run.html');
    const r = await runCli(['run', reportFixture('report.yaml'), '--set', `dir=${tmp.dir}`, '--state-dir', tmp.stateDir, '--output', 'plain', '--report', file], { env: { REPORT_TEST_TOKEN: SECRET } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`report: wrote ${file} (html)`);
    const [runId] = runIds(tmp.stateDir);
    // The run did use the secret (masked in the journal), so a report leaking it would have had it to leak.
    expect(journalText(tmp.stateDir, runId!)).toContain('token is ***');
    const texts = [readFileSync(file, 'utf8'), ...(await Promise.all(['html', 'markdown', 'junit'].map(async (f) => (await report(runId!, f)).stdout)))];
    for (const text of texts) {
      expect(text.length).toBeGreaterThan(500);
      expect(text).not.toContain(SECRET);
      // Markdown escapes the mask's asterisks so they are not read as emphasis.
      expect(text.includes('***') || text.includes('\\*\\*\\*')).toBe(true);
    }
  });

  it('writes --report at the end of a run stopped by SIGTERM, marked interrupted', async () => {
    const file = path.join(tmp.dir, 'stopped.md');
    const cli = startCli(['run', reportFixture('slow.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain', '--report', file]);
    await cli.waitForOutput('waiting');
    cli.kill('SIGTERM');
    const r = await cli.result;
    expect(r.exitCode).toBe(143);
    const md = readFileSync(file, 'utf8');
    expect(md).toMatch(/^# ⚠ report-slow/);
    expect(md).toMatch(/\*\*Status:\*\* interrupted/);
    expect(md).toMatch(/\| ✔ \| quick \(`quick`\) \| shell \| succeeded \| 1 \|/);
  });

  it('reports a run whose CLI was killed with SIGKILL (no run-end in its journal) as interrupted, the running step cut short', async () => {
    const cli = startCli(['run', reportFixture('slow.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain']);
    await cli.waitForOutput('waiting');
    cli.kill('SIGKILL');
    await cli.result;
    const [runId] = runIds(tmp.stateDir);
    expect(journalText(tmp.stateDir, runId!)).not.toContain('"run-end"');
    const md = await report(runId!, 'markdown');
    expect(md.exitCode, md.stderr).toBe(0);
    expect(md.stdout).toContain('**Status:** interrupted (the journal has no run-end');
    expect(md.stdout).toMatch(/\| … \| wait \(`wait`\) \| shell \| running \| 1 \|/);
    const xml = await report(runId!, 'junit');
    expect(xml.stdout).toContain('<error message="interrupted: the journal ends while this step ran" type="interrupted">');
    const html = await report(runId!, 'html');
    expect(html.stdout).toContain('attempt-open');
  });

  it('exits 2 for an unknown id, and run --report refuses an extension it cannot tell before anything runs', async () => {
    const missing = await report('20260101-000000-000-abcdef', 'markdown');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('no run or fleet run 20260101-000000-000-abcdef');
    const r = await runCli(['run', reportFixture('slow.yaml'), '--state-dir', tmp.stateDir, '--report', path.join(tmp.dir, 'r.txt')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--report-format');
    expect(() => runIds(tmp.stateDir)).toThrow();
    const fleet = await runCli(['run', reportFixture('slow.yaml'), '--contexts', 'sim-*', '--state-dir', tmp.stateDir, '--report', path.join(tmp.dir, 'r.md')]);
    expect(fleet.exitCode).toBe(2);
    expect(fleet.stderr).toContain('opsbook report FLEET_ID');
  });
});
