// `opsbook rehearse --all`: every bundled runbook rehearsed through the real CLI, and how a failing or unpaired one is told.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadRehearsals } from '../../src/cli/rehearsals.js';
import { repoRoot, runCli, startCli } from '../helpers/cli.js';
import { fixture } from './fixtures.js';

const bundled = readdirSync(path.join(repoRoot, 'runbooks'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A runbook directory in a temp folder: runbook files by name, and one pairing file. */
function makeDir(runbooks: Record<string, string>, pairings: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'opsbook-rehearse-all-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(runbooks)) writeFileSync(path.join(dir, name), text);
  mkdirSync(path.join(dir, 'rehearsals'));
  writeFileSync(path.join(dir, 'rehearsals', 'pairs.yaml'), pairings);
  return dir;
}

const ok = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: all-ok }
spec:
  steps:
    - id: hello
      run: echo hello
`;

/** Child processes (not tsx's esbuild service, not the parent-death supervisor) of `pid`, from /proc. */
function children(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    .filter((child) => !/esbuild|opsbook-supervisor/.test(readFileSync(`/proc/${child}/cmdline`, 'utf8')));
}

/** The rehearsal process `rehearse --all` (pid) started, once it is running a step (it has a child of its own). */
async function runningRehearsal(pid: number): Promise<number> {
  let rehearsal: number | undefined;
  await vi.waitFor(() => {
    rehearsal = children(pid)[0];
    expect(rehearsal && children(rehearsal).length).toBeGreaterThan(0);
  }, { timeout: 60_000, interval: 100 });
  return rehearsal!;
}

describe('opsbook rehearse --all (end to end)', () => {
  // The longest rehearsal (add-sno-worker at 120×) takes ~20 s alone; two at a time on a loaded 2-core machine stay well inside this.
  it('rehearses every bundled runbook on its paired scenario: one ✓ line each, exit 0', { timeout: 240_000 }, async () => {
    const r = await runCli(['rehearse', '--all'], { timeout: 230_000 });
    expect(r.stderr).toBe('');
    expect(r.exitCode, r.stdout).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    // A runbook may be paired more than once (cert-expiry: a scenario it passes on, one it must fail on).
    expect([...new Set(lines.map((l) => l.split(/\s+/)[1]))].sort()).toEqual(bundled);
    for (const line of lines) expect(line).toMatch(/^✓ [a-z-]+\s+[a-z-]+\s+\d+\.\d+s(  failed as expected: .+)?$/);
    expect(lines).toContainEqual(expect.stringMatching(/^✓ cert-expiry\s+cert-expiring\s+\d+\.\d+s {2}failed as expected: step expiring failed: 2 certificate\(s\) expired or expiring within 30d \(cp-1: apiserver; cp-2: apiserver; /));
    expect(lines).toContainEqual(expect.stringMatching(/^✓ add-sno-worker\s+sno-add-worker\s/));
  });

  it('a failing rehearsal is a ✗ line with its first error, the others still run, exit 1; --output json is an array', { timeout: 120_000 }, async () => {
    const dir = makeDir(
      { 'fail.yaml': readFileSync(fixture('fail.yaml'), 'utf8'), 'ok.yaml': ok },
      `kind: Rehearsals\nrehearsals:\n  - { runbook: fail.yaml, scenario: ${fixture('scenario-tiny.yaml')} }\n  - { runbook: ok.yaml, scenario: ${fixture('scenario-tiny.yaml')} }\n`,
    );
    const r = await runCli(['rehearse', '--all', dir]);
    expect(r.exitCode).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^✗ fail\s+scenario-tiny\s+\d+\.\d+s  step boom failed: command exited with code 7: about to fail$/);
    expect(lines[1]).toMatch(/^✓ ok\s+scenario-tiny\s+\d+\.\d+s$/);

    const json = await runCli(['rehearse', '--all', dir, '--output', 'json']);
    expect(json.exitCode).toBe(1);
    const results = JSON.parse(json.stdout) as { runbook: string; status: string; exitCode: number; error?: string }[];
    expect(results.map((x) => [x.runbook, x.status, x.exitCode])).toEqual([['fail', 'failed', 1], ['ok', 'succeeded', 0]]);
    expect(results[0]!.error).toContain('boom');
    expect(results[1]!.error).toBeUndefined();
  });

  it('expectFailure: a run failing with that text is ✓; one failing otherwise, or succeeding, is ✗ saying what was expected, exit 1', { timeout: 120_000 }, async () => {
    const dir = makeDir(
      { 'fail.yaml': readFileSync(fixture('fail.yaml'), 'utf8'), 'ok.yaml': ok },
      `kind: Rehearsals\nrehearsals:\n` +
        `  - { runbook: fail.yaml, scenario: ${fixture('scenario-tiny.yaml')}, expectFailure: "code 7: about to fail" }\n` +
        `  - { runbook: fail.yaml, scenario: ${fixture('scenario-tiny.yaml')}, expectFailure: "something else" }\n` +
        `  - { runbook: ok.yaml, scenario: ${fixture('scenario-tiny.yaml')}, expectFailure: "anything" }\n`,
    );
    const r = await runCli(['rehearse', '--all', dir, '--jobs', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^✓ fail\s+scenario-tiny\s+\d+\.\d+s {2}failed as expected: step boom failed: command exited with code 7: about to fail$/),
      expect.stringMatching(/^✗ fail\s+scenario-tiny\s+\d+\.\d+s {2}failed, but not with the expected "something else": step boom failed: /),
      expect.stringMatching(/^✗ ok\s+scenario-tiny\s+\d+\.\d+s {2}succeeded, but the pairing expects it to fail with "anything"$/),
    ]);
  });

  it('a pairing naming a missing file, or a runbook with no pairing, is refused at file:line:col before anything runs (exit 2)', async () => {
    const dir = makeDir(
      { 'ok.yaml': ok, 'lonely.yaml': ok.replace('all-ok', 'lonely') },
      `kind: Rehearsals\nrehearsals:\n  - runbook: ok.yaml\n    scenario: scenarios/missing.yaml\n`,
    );
    const r = await runCli(['rehearse', '--all', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${path.join(dir, 'rehearsals', 'pairs.yaml')}:4:15: rehearsals[0].scenario: no such file: ${path.join(dir, 'scenarios', 'missing.yaml')}`);
    expect(r.stderr).toContain(`${path.join(dir, 'lonely.yaml')}:1:1: (file): no rehearsal pairs this runbook with a scenario`);
    expect(r.stderr).not.toContain(`${path.join(dir, 'ok.yaml')}:1:1`);
  });

  it('Ctrl-C stops the running rehearsal (forwarded once), starts no other, and exits 130', { timeout: 120_000 }, async () => {
    const dir = makeDir(
      { 'slow.yaml': readFileSync(fixture('slow.yaml'), 'utf8'), 'ok.yaml': ok },
      `kind: Rehearsals\nrehearsals:\n  - { runbook: slow.yaml, scenario: ${fixture('scenario-tiny.yaml')} }\n  - { runbook: ok.yaml, scenario: ${fixture('scenario-tiny.yaml')} }\n`,
    );
    const cli = startCli(['rehearse', '--all', dir, '--jobs', '1']);
    // Children but tsx's esbuild service, which the CLI run from src/ may start too.
    // Interrupt once the rehearsal runs its step (the slow step's shell is the rehearsal's child): it handles Ctrl-C by then.
    const rehearsal = await runningRehearsal(cli.pid!);
    cli.kill('SIGINT');
    const r = await cli.result;
    expect(r.exitCode).toBe(130);
    expect(r.stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(/^✗ slow\s+scenario-tiny\s+\d+\.\d+s {2}interrupted by user \(Ctrl-C\)$/)]);
    expect(() => process.kill(rehearsal, 0)).toThrow(/ESRCH/);
  });

  it('kill -9 of rehearse --all stops the running rehearsal too (parent-death supervisor), not at its deadline', { timeout: 120_000 }, async () => {
    // The scenario runs 60× faster than real time: a 10 h step timeout leaves the sleep running for ten real minutes.
    const long = 'apiVersion: opsbook.dev/v1\nkind: Runbook\nmetadata: { name: long }\nspec:\n  steps:\n    - id: wait\n      timeout: 10h\n      run: sleep 600\n';
    const dir = makeDir({ 'long.yaml': long }, `kind: Rehearsals\nrehearsals:\n  - { runbook: long.yaml, scenario: ${fixture('scenario-tiny.yaml')} }\n`);
    const cli = startCli(['rehearse', '--all', dir, '--jobs', '1']);
    const rehearsal = await runningRehearsal(cli.pid!);
    cli.kill('SIGKILL');
    await cli.result.catch(() => undefined);
    // The supervisor TERMs the rehearsal's group (KILL after a 5 s grace); without it the rehearsal sleeps on for minutes.
    await vi.waitFor(() => expect(() => process.kill(rehearsal, 0)).toThrow(/ESRCH/), { timeout: 20_000, interval: 200 });
  });

  it("the README's table gives each bundled pairing's command", async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const rehearsals = await loadRehearsals(path.join(repoRoot, 'runbooks'));
    expect([...new Set(rehearsals.map((r) => path.basename(r.runbook, '.yaml')))].sort()).toEqual(bundled);
    for (const r of rehearsals) {
      const rel = (file: string) => path.relative(repoRoot, file);
      const command = [
        `opsbook rehearse ${rel(r.runbook)} --scenario ${rel(r.scenario)}`,
        ...r.approve.map((id) => `--approve ${id}`),
        ...(r.timeScale ? [`--time-scale ${r.timeScale}`] : []),
      ].join(' ');
      expect(readme).toContain(`| \`${path.basename(r.runbook)}\` | \`${command}\` |`);
    }
  });

  it('--all takes no runbook, --scenario or inputs of its own (exit 2)', async () => {
    const r = await runCli(['rehearse', '--all', '--scenario', fixture('scenario-tiny.yaml')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--scenario cannot be given with it');
    // fleet flags were once silently ignored by --all: each pairing is one cluster's rehearsal
    const fleet = await runCli(['rehearse', '--all', '--clusters', '3', '--max-parallel', '2']);
    expect(fleet.exitCode).toBe(2);
    expect(fleet.stderr).toContain('--clusters, --max-parallel cannot be given with it');
  });
});
