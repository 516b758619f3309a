// `opsbook runs` from the summary an ended run keeps in run.json: no secret in it, the same listing as a replay, and
// a state directory an older opsbook wrote (run.json without a summary) still listed and resumed.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture, runIds, useTempDir } from './fixtures.js';

const tmp = useTempDir();
const runJson = (runId: string) => path.join(tmp.stateDir, 'runs', runId, 'run.json');
const listing = async (output: string) => (await runCli(['runs', '--state-dir', tmp.stateDir, '--output', output])).stdout;

/** run.json as an opsbook from before summaries left it. */
function dropSummary(runId: string): void {
  const { summary: _summary, ...older } = JSON.parse(readFileSync(runJson(runId), 'utf8')) as Record<string, unknown>;
  writeFileSync(runJson(runId), `${JSON.stringify(older, null, 2)}\n`);
}

describe('opsbook runs from run summaries (end to end)', { timeout: 120_000 }, () => {
  it("a failed run's summary holds no secret, and runs lists the same with it as by replaying the journal", async () => {
    const secret = 'Summary-S3cret-77';
    const r = await runCli(['run', fixture('secret.yaml'), '--state-dir', tmp.stateDir, '--output', 'plain'], { env: { CLI_TEST_TOKEN: secret } });
    expect(r.exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    const text = readFileSync(runJson(runId!), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ runId, summary: { status: 'failed', resumes: 0 } });
    expect(text).not.toContain(secret);

    const fromSummary = [await listing('json'), await listing('plain')];
    expect(JSON.parse(fromSummary[0]!)).toEqual([expect.objectContaining({ runId, status: 'failed' })]);
    dropSummary(runId!);
    expect([await listing('json'), await listing('plain')]).toEqual(fromSummary);
  });

  it('a run from an older state directory (no summary) is listed by replay, resumed, and then has one', async () => {
    const first = await runCli(['run', fixture('resume.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(first.exitCode).toBe(1);
    const [runId] = runIds(tmp.stateDir);
    dropSummary(runId!);
    expect(JSON.parse(await listing('json'))).toEqual([expect.objectContaining({ runId, status: 'failed', resumes: 0 })]);

    writeFileSync(path.join(tmp.dir, 'ready'), '');
    const resumed = await runCli(['resume', runId!, '--state-dir', tmp.stateDir]);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(runJson(runId!), 'utf8'))).toMatchObject({ summary: { status: 'succeeded', resumes: 1 } });
    const listed = JSON.parse(await listing('json')) as { runId: string; status: string; resumes: number; startedAt: string }[];
    expect(listed).toEqual([expect.objectContaining({ runId, status: 'succeeded', resumes: 1 })]);
    dropSummary(runId!);
    expect(JSON.parse(await listing('json'))).toEqual(listed);
  });
});
