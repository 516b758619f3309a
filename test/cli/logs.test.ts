// `opsbook logs RUN_ID [-f]` on the local store: the run's view rendered from its journal, following a live run to its
// end, and stopping (exit 1) on a run whose process died.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { fixture, journalEvents, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();

describe('opsbook logs', { timeout: 60_000 }, () => {
  it('prints a finished run as run printed it: json is the journal, plain names the steps and their output, tty draws the tree', async () => {
    const run = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain']);
    expect(run.exitCode).toBe(0);
    const [runId] = runIds(tmp.stateDir);
    const json = await runCli(['logs', runId!, '--state-dir', tmp.stateDir, '--output', 'json']);
    expect(json.exitCode).toBe(0);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual(journalEvents(tmp.stateDir, runId!));
    const plain = await runCli(['logs', runId!, '--state-dir', tmp.stateDir, '--output', 'plain']);
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toContain('count+1=2 enabled=false names=a');
    expect(plain.stdout).toMatch(/second/);
    // On a terminal: the live tree, drawn from the journal's events.
    const tty = await runCli(['logs', runId!, '--state-dir', tmp.stateDir], { tty: true });
    expect(tty.exitCode).toBe(0);
    expect(tty.stdout).toMatch(/first/);
    expect(tty.stdout).toMatch(/second/);
  });

  it('-f follows a live run until it ends, and exits 0 when it succeeded', async () => {
    const cli = startCli(['run', fixture('crash.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain']);
    const seen = await cli.waitForOutput(/gated pid=\d+/);
    const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
    const follow = startCli(['logs', runId, '-f', '--state-dir', tmp.stateDir, '--output', 'json']);
    await follow.waitForOutput(/"gated pid=\d+"/);
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const followed = await follow.result;
    expect((await cli.result).exitCode).toBe(0);
    expect(followed.exitCode).toBe(0);
    const events = followed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; stepId?: string });
    expect(events).toEqual(journalEvents(tmp.stateDir, runId));
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
  });

  it('-f stops on a run whose process was killed (exit 1, naming resume), and an unknown run is exit 2', async () => {
    const cli = startCli(['run', fixture('crash.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'plain']);
    const seen = await cli.waitForOutput(/gated pid=\d+/);
    const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
    const stepPid = Number(/gated pid=(\d+)/.exec(seen)![1]);
    cli.kill('SIGKILL');
    await cli.result;
    try {
      process.kill(-stepPid, 'SIGKILL');
    } catch {
      // already ended by its supervisor
    }
    const followed = await runCli(['logs', runId, '-f', '--state-dir', tmp.stateDir, '--output', 'plain']);
    expect(followed.exitCode).toBe(1);
    expect(followed.stderr).toContain(`run ${runId} is not running (its process is gone); resume it with \`opsbook resume ${runId}\``);
    const unknown = await runCli(['logs', '20260101-000000-000-abcdef', '--state-dir', tmp.stateDir]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no run 20260101-000000-000-abcdef in .*state \(see `opsbook runs`\)/);
  });
});
