// The run flags a submitted Job's pod uses, on the local store: --run-id takes a pre-made id, refuses a malformed or taken one, and
// with --resume-if-exists resumes the run the id names (a replaced pod) instead of starting it again.

import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, useTempDir } from './fixtures.js';

const tmp = useTempDir();

const ID = '20261203-150000-000-abc123';

describe('run --run-id / --resume-if-exists', () => {
  it('refuses a malformed id, --resume-if-exists alone, and both id flags, before anything runs', async () => {
    const bad = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--run-id', '../etc']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--run-id \.\.\/etc: not a run id/);
    const alone = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--resume-if-exists']);
    expect(alone.exitCode).toBe(2);
    expect(alone.stderr).toMatch(/--resume-if-exists needs --run-id/);
    const both = await runCli(['run', fixture('ok.yaml'), '--state-dir', tmp.stateDir, '--run-id', ID, '--run-id-from-job', 'x-29000000']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/--run-id and --run-id-from-job: give one/);
  }, 60_000);

  it('runs under the given id; the same id again is refused, or resumed with --resume-if-exists', async () => {
    const first = await runCli(['run', fixture('fail.yaml'), '--state-dir', tmp.stateDir, '--run-id', ID, '--output', 'json']);
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain(`"runId":"${ID}"`);
    const again = await runCli(['run', fixture('fail.yaml'), '--state-dir', tmp.stateDir, '--run-id', ID]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`--run-id ${ID}: .* already has that run; resume it .* or pass --resume-if-exists`));
    const resumed = await runCli(['run', fixture('fail.yaml'), '--state-dir', tmp.stateDir, '--run-id', ID, '--resume-if-exists', '--output', 'json']);
    expect(resumed.exitCode).toBe(1);
    const starts = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; runId?: string; resumedFrom?: unknown }).filter((e) => e.type === 'run-start');
    expect(starts).toHaveLength(1);
    expect(starts[0]!.runId).toBe(ID);
    // One journal, appended to by the resume: two run-starts.
    const journal = (await runCli(['logs', ID, '--state-dir', tmp.stateDir, '--output', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(journal.filter((e) => e.type === 'run-start')).toHaveLength(2);
    const listed = JSON.parse((await runCli(['runs', '--state-dir', tmp.stateDir, '--output', 'json'])).stdout) as { runId: string }[];
    expect(listed.map((r) => r.runId)).toEqual([ID]);
  }, 60_000);
});
