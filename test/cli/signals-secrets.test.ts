import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { fixture, journalEvents, journalText, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Ctrl-C (end to end)', { timeout: 120_000 }, () => {
  it('first SIGINT cancels gracefully: exit 130, journal ends "interrupted", the step process is gone', async () => {
    const cli = startCli(['run', fixture('slow.yaml'), '--state-dir', tmp.stateDir, '--output', 'json']);
    await cli.waitForOutput('"line":"waiting pid=');
    cli.kill('SIGINT');
    const r = await cli.result;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('interrupted');
    const [runId] = runIds(tmp.stateDir);
    const events = journalEvents(tmp.stateDir, runId!);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'interrupted' });
    expect(events.find((e) => e.type === 'step-start' && e.stepId === 'after')).toBeUndefined();
    // The shell step (bash, and its `sleep 30`) must not outlive the run.
    const pid = Number(/waiting pid=(\d+)/.exec(r.stdout)![1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);
  });

  it('an interrupted run can be resumed', async () => {
    const cli = startCli(['run', fixture('slow.yaml'), '--state-dir', tmp.stateDir, '--output', 'json']);
    await cli.waitForOutput('"line":"waiting pid=');
    cli.kill('SIGINT');
    expect((await cli.result).exitCode).toBe(130);
    const [runId] = runIds(tmp.stateDir);
    const listed = await runCli(['runs', '--state-dir', tmp.stateDir, '--output', 'json']);
    expect(JSON.parse(listed.stdout)[0]).toMatchObject({ runId, status: 'interrupted' });
  });
});

describe('second Ctrl-C (end to end)', { timeout: 120_000 }, () => {
  it('stops at once even while a step ignores SIGTERM (the graceful cancel would wait for its grace period)', async () => {
    const cli = startCli(['run', fixture('stubborn.yaml'), '--state-dir', tmp.stateDir, '--output', 'json']);
    const seen = await cli.waitForOutput('"line":"waiting pid=');
    const pid = Number(/waiting pid=(\d+)/.exec(seen)![1]);
    try {
      cli.kill('SIGINT');
      await cli.waitForOutput('press Ctrl-C again');
      cli.kill('SIGINT');
      const r = await cli.result;
      expect(r.exitCode).toBe(130);
      const events = journalEvents(tmp.stateDir, runIds(tmp.stateDir)[0]!);
      expect(events.some((e) => e.type === 'run-end')).toBe(false); // stopped before the graceful end
    } finally {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});

describe('secrets (end to end)', { timeout: 120_000 }, () => {
  const secret = 's3cr3t-V4lue-xyz';

  it('never appear in stdout, stderr or the journal, in any output mode', async () => {
    for (const output of ['plain', 'json']) {
      const r = await runCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir, '--output', output], { env: { CLI_TEST_TOKEN: secret } });
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toContain('***');
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    for (const runId of runIds(tmp.stateDir)) {
      const text = journalText(tmp.stateDir, runId);
      expect(text).toContain('***');
      expect(text).not.toContain(secret);
      expect(readdirSync(path.join(tmp.stateDir, 'runs', runId)).map((f) => readFileSync(path.join(tmp.stateDir, 'runs', runId, f), 'utf8')).join('')).not.toContain(secret);
    }
  });

  it('a missing secret without a terminal is reported before anything runs (exit 2), and resume asks for it again', async () => {
    const missing = await runCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir], { env: { CLI_TEST_TOKEN: undefined } });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/spec\.inputs\.token/);

    const failed = await runCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir], { env: { CLI_TEST_TOKEN: secret } });
    expect(failed.exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    // The secret is not stored: resuming without it fails validation of inputs, not the run.
    const noSecret = await runCli(['resume', runId!, '--state-dir', tmp.stateDir], { env: { CLI_TEST_TOKEN: undefined } });
    expect(noSecret.exitCode).toBe(2);
    expect(noSecret.stderr).toMatch(/spec\.inputs\.token/);
    const again = await runCli(['resume', runId!, '--state-dir', tmp.stateDir], { env: { CLI_TEST_TOKEN: secret } });
    expect(again.exitCode).toBe(1); // the `fail` step still fails, but with the secret supplied again
    // `use` wrote the secret to its outputs: the journal holds only ***, so it runs again rather than pass *** on.
    expect(again.stdout).toContain('use: runs again: its outputs held a secret, which the journal never stores');
    expect(again.stdout).not.toContain('use: succeeded earlier');
    expect(again.stdout + again.stderr).not.toContain(secret);
  });
});
