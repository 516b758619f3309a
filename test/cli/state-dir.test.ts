// The state directory holds step output and cluster details: private modes whatever the umask, and a clear usage
// error (exit 2, nothing run) when it cannot hold a run.

import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();
let umask: number;
beforeEach(() => {
  umask = process.umask(0o022); // the usual umask, which gave 0755 directories and 0644 files
});
afterEach(() => {
  process.umask(umask);
});

const modeOf = (p: string) => (statSync(p).mode & 0o777).toString(8);
const isRoot = process.getuid?.() === 0;

describe('state directory', { timeout: 60_000 }, () => {
  it('creates directories 0700 and journal and run.json 0600', async () => {
    const r = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir]);
    expect(r.exitCode).toBe(0);
    const [runId] = runIds(tmp.stateDir);
    const runDir = path.join(tmp.stateDir, 'runs', runId!);
    expect([tmp.stateDir, path.join(tmp.stateDir, 'runs'), runDir].map(modeOf)).toEqual(['700', '700', '700']);
    for (const file of readdirSync(runDir)) expect([file, modeOf(path.join(runDir, file))]).toEqual([file, '600']);
    expect(readdirSync(runDir)).toEqual(expect.arrayContaining(['journal.ndjson', 'run.json']));
  });

  it('leaves a state directory the user made as it is', async () => {
    mkdirSync(tmp.stateDir, { mode: 0o750 });
    chmodSync(tmp.stateDir, 0o750);
    expect((await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir])).exitCode).toBe(0);
    expect(modeOf(tmp.stateDir)).toBe('750');
    expect(modeOf(path.join(tmp.stateDir, 'runs'))).toBe('700');
  });

  it('refuses a --state-dir that is a file with exit 2, before any step runs', async () => {
    writeFileSync(tmp.stateDir, 'not a directory');
    const mark = path.join(tmp.dir, 'touched');
    const r = await runCli(['run', fixture('touch.yaml'), '--state-dir', tmp.stateDir, '--set', `mark=${mark}`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`opsbook: state directory ${tmp.stateDir} is not a directory\n`);
    expect(r.stdout).toBe('');
    expect(existsSync(mark)).toBe(false);
    const nested = path.join(tmp.stateDir, 'sub');
    const r2 = await runCli(['run', fixture('touch.yaml'), '--state-dir', nested, '--set', `mark=${mark}`]);
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toBe(`opsbook: state directory ${nested} cannot be used: ${tmp.stateDir} is not a directory\n`);
    expect(existsSync(mark)).toBe(false);
  });

  it('refuses an unwritable --state-dir with exit 2, before any step runs', async () => {
    // root writes through file modes: /sys refuses mkdir to root too.
    let stateDir = '/sys/opsbook-state';
    if (!isRoot) {
      mkdirSync(tmp.stateDir, { mode: 0o500 });
      stateDir = tmp.stateDir;
    }
    const mark = path.join(tmp.dir, 'touched');
    const r = await runCli(['run', fixture('touch.yaml'), '--state-dir', stateDir, '--set', `mark=${mark}`]);
    if (!isRoot) chmodSync(tmp.stateDir, 0o700);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`opsbook: state directory ${stateDir} is not writable: permission denied\n`);
    expect(existsSync(mark)).toBe(false);
  });

  it.skipIf(isRoot)('resume refuses a state directory that became unwritable with exit 2', async () => {
    expect((await runCli(['run', fixture('fail.yaml'), '--state-dir', tmp.stateDir])).exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    chmodSync(path.join(tmp.stateDir, 'runs'), 0o500);
    const r = await runCli(['resume', runId!, '--state-dir', tmp.stateDir]);
    chmodSync(path.join(tmp.stateDir, 'runs'), 0o700);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`opsbook: state directory ${tmp.stateDir} is not writable: permission denied\n`);
  });
});
