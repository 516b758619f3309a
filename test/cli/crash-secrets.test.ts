// Secrets survive a crash unseen: opsbook killed mid-step (kill -9, SIGHUP) and resumed; the token and every line of a
// multi-line key are absent from both commands' output, every file in the state directory and the process list.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { fixture, runIds, useTempDir } from './fixtures.js';

const TOKEN = 'tok-crash-7f3a9c21';
const KEY_LINES = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAq7BFUpkGp3+LQmlQ',
  'Yx2eqzDV+xeG8kx/sGFV18s1O0qMpWBOIy1vd0zsGk7ToPBYUq1VqpjnrGvbyrhn',
  '-----END PRIVATE KEY-----',
];
const SECRETS = [TOKEN, ...KEY_LINES.slice(1, 3)];

const tmp = useTempDir();
beforeEach(() => writeFileSync(path.join(tmp.dir, 'key.pem'), `${KEY_LINES.join('\n')}\n`, { mode: 0o600 }));

/** Every file under `dir`, concatenated (journal, run.json, owner.json …). */
function readTree(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

const expectNoSecret = (text: string, where: string) => {
  for (const secret of SECRETS) expect(text.includes(secret), `${where} holds ${secret.slice(0, 12)}…`).toBe(false);
};

describe('secrets across a crash and a resume (end to end)', { timeout: 120_000 }, () => {
  it.each(['SIGKILL', 'SIGHUP'] as const)('%s mid-step: no secret in output, state files or the process list', async (signal) => {
    const options = { cwd: tmp.dir, env: { CRASH_TOKEN: TOKEN } };
    const args = ['run', fixture('secret-crash.yaml'), '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`, '--output', 'json'];
    const cli = startCli(args, options);
    await cli.waitForOutput('"line":"ready"');
    // While the step runs: opsbook's own argv, its supervisor's and the step's are all in the process list.
    expectNoSecret(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }), 'ps -eo args');
    cli.kill(signal);
    const killed = await cli.result;
    expectNoSecret(killed.stdout + killed.stderr, `output of the ${signal}ed run`);
    expect(killed.stdout).toContain('token ***');
    expectNoSecret(readTree(tmp.stateDir), 'the state directory after the crash');

    const [runId] = runIds(tmp.stateDir);
    const resumed = await runCli(['resume', runId!, '--state-dir', tmp.stateDir, '--output', 'json'], options);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expectNoSecret(resumed.stdout + resumed.stderr, 'output of the resume');
    expect(resumed.stdout).toContain('"line":"after ***');
    expectNoSecret(readTree(tmp.stateDir), 'the state directory after the resume');
  });
});
