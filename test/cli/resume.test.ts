import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, journalEvents, journalText, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();

describe('opsbook resume / runs (end to end)', { timeout: 120_000 }, () => {
  it('resumes a failed run: finished steps are not re-run, their outputs are reused, the rest completes', async () => {
    const first = await runCli(['run', fixture('resume.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(first.exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);

    const listed = await runCli(['runs', '--state-dir', tmp.stateDir]);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+cli-resume \\(.*resume\\.yaml\\)\\s+failed\\s+\\d{4}-`));

    writeFileSync(path.join(tmp.dir, 'ready'), '');
    const resumed = await runCli(['resume', runId!, '--state-dir', tmp.stateDir]);
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).toContain('once: succeeded earlier (outputs reused)');
    expect(resumed.stdout).toContain('gate | ready with abc');
    expect(readFileSync(path.join(tmp.dir, 'once.count'), 'utf8')).toBe('ran\n');
    expect(journalEvents(tmp.stateDir, runId!).at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });

    const json = await runCli(['runs', '--state-dir', tmp.stateDir, '--output', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ runId, status: 'succeeded' })]);
  });

  it('re-runs a step whose outputs held a secret (the journal has only ***), so later steps get the real value', async () => {
    const secret = 'S3cret-resume-91';
    const env = { CLI_TEST_TOKEN: secret };
    const first = await runCli(['run', fixture('secret-resume.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`], { env });
    expect(first.exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    const loginEnd = journalEvents(tmp.stateDir, runId!).find((e) => e.type === 'step-end' && e.stepId === 'login');
    expect(loginEnd).toMatchObject({ status: 'succeeded', outputs: { session: 'session-***' }, outputsRedacted: true });
    const plainEnd = journalEvents(tmp.stateDir, runId!).find((e) => e.type === 'step-end' && e.stepId === 'plain');
    expect(plainEnd).not.toHaveProperty('outputsRedacted');

    writeFileSync(path.join(tmp.dir, 'ready'), '');
    const resumed = await runCli(['resume', runId!, '--state-dir', tmp.stateDir, '--output', 'plain'], { env });
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).toContain('login: runs again: its outputs held a secret, which the journal never stores');
    expect(resumed.stdout).toContain('plain: succeeded earlier (outputs reused)');
    // The later step got the secret-bearing value itself, not the journal's `***`.
    expect(readFileSync(path.join(tmp.dir, 'session.out'), 'utf8')).toBe(`session-${secret}`);
    expect(readFileSync(path.join(tmp.dir, 'name.out'), 'utf8')).toBe('alpha');
    expect(readFileSync(path.join(tmp.dir, 'login.count'), 'utf8')).toBe('ran\nran\n');
    expect(readFileSync(path.join(tmp.dir, 'plain.count'), 'utf8')).toBe('ran\n');
    expect(resumed.stdout).not.toContain(secret);
    const journal = journalEvents(tmp.stateDir, runId!);
    expect(journal.find((e) => e.type === 'run-start' && e.resumedFrom)).toMatchObject({
      rerun: [{ stepId: 'login', reason: 'its outputs held a secret, which the journal never stores' }],
    });
    expect(journal.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
    for (const file of readdirSync(path.join(tmp.stateDir, 'runs', runId!))) {
      expect(readFileSync(path.join(tmp.stateDir, 'runs', runId!, file), 'utf8')).not.toContain(secret);
    }
  });

  it('refuses to resume with exit 2 when the runbook changed, unless --allow-changed', async () => {
    const file = path.join(tmp.dir, 'rb.yaml');
    writeFileSync(file, readFileSync(fixture('resume.yaml'), 'utf8'));
    expect((await runCli(['run', file, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`])).exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    writeFileSync(file, readFileSync(file, 'utf8').replace('echo "ready with $TOKEN"', 'echo "changed with $TOKEN"'));
    writeFileSync(path.join(tmp.dir, 'ready'), '');
    const refused = await runCli(['resume', runId!, '--state-dir', tmp.stateDir]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/changed/);
    expect(refused.stderr).toContain('--allow-changed');
    const allowed = await runCli(['resume', runId!, '--state-dir', tmp.stateDir, '--allow-changed']);
    expect(allowed.exitCode).toBe(0);
    expect(allowed.stdout).toContain('gate | changed with abc');
  });

  it('refuses (exit 2, no stack trace) a journal with a corrupt line in the middle, or one from a newer opsbook', async () => {
    expect((await runCli(['run', fixture('resume.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`])).exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    const journal = path.join(tmp.stateDir, 'runs', runId!, 'journal.ndjson');
    const lines = journalText(tmp.stateDir, runId!).split('\n');
    writeFileSync(journal, [lines[0], '{"type":"step-end","runId":"x","time":"t"}', ...lines.slice(1)].join('\n'));
    const corrupt = await runCli(['resume', runId!, '--state-dir', tmp.stateDir]);
    expect(corrupt.exitCode).toBe(2);
    expect(corrupt.stderr).toContain(`${journal}:2: not a journal event (step-end: stepId must be a string (missing))`);
    expect(corrupt.stderr).not.toMatch(/\n\s+at /);

    writeFileSync(journal, lines.map((l, i) => (i === 0 ? l.replace('"journalVersion":1', '"journalVersion":2') : l)).join('\n'));
    const newer = await runCli(['resume', runId!, '--state-dir', tmp.stateDir]);
    expect(newer.exitCode).toBe(2);
    expect(newer.stderr).toContain(`journal ${journal} was written by a newer opsbook (format 2; this one reads 1)`);
  });

  it('an unknown run id is a usage error (exit 2)', async () => {
    const r = await runCli(['resume', '20260101-000000-000-abcdef', '--state-dir', tmp.stateDir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no run 20260101-000000-000-abcdef');
    expect(existsSync(path.join(tmp.stateDir, 'runs', '20260101-000000-000-abcdef'))).toBe(false);
  });

  it('runs on an empty state dir says so', async () => {
    const r = await runCli(['runs', '--state-dir', tmp.stateDir]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('no runs in');
  });

  it('uses $OPSBOOK_STATE_DIR when --state-dir is not given', async () => {
    const r = await runCli(['run', fixture('ok.yaml')], { env: { OPSBOOK_STATE_DIR: tmp.stateDir }, cwd: tmp.dir });
    expect(r.exitCode).toBe(0);
    expect(runIds(tmp.stateDir)).toHaveLength(1);
    expect(existsSync(path.join(tmp.dir, '.opsbook'))).toBe(false);
  });

  it('defaults the state dir to .opsbook/ in the working directory', async () => {
    const r = await runCli(['run', fixture('ok.yaml')], { cwd: tmp.dir, env: { OPSBOOK_STATE_DIR: undefined } });
    expect(r.exitCode).toBe(0);
    expect(runIds(path.join(tmp.dir, '.opsbook'))).toHaveLength(1);
  });
});
