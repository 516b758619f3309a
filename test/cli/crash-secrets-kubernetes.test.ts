// Secrets survive a crash unseen when the run is kept in the cluster (--state kubernetes://NS): opsbook killed with
// SIGKILL mid-step, then resumed (--break-lock: the dead writer's Lease has not expired); neither the token nor a line
// of the multi-line key — raw, base64 (at any alignment), JSON-escaped or URL-encoded — is in any object of the
// namespace (every listable namespaced resource, read back with kubectl), in either command's output, or in the
// process list while the step runs.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { fixture, useTempDir } from './fixtures.js';
import { formsOf } from '../helpers/secret-forms.js';

const TOKEN = 'tok-crash-k8s-5e1d07b3';
const KEY_LINES = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAq7BFUpkGp3+LQmlQ',
  'Yx2eqzDV+xeG8kx/sGFV18s1O0qMpWBOIy1vd0zsGk7ToPBYUq1VqpjnrGvbyrhn',
  '-----END PRIVATE KEY-----',
];
const SECRETS = [TOKEN, ...KEY_LINES.slice(1, 3), KEY_LINES.join('\n')];
const NS = 'crash-secrets';

const expectNoSecret = (text: string, where: string) => {
  for (const secret of SECRETS) for (const { form, text: encoded } of formsOf(secret)) expect(text.includes(encoded), `${where} holds ${secret.slice(0, 12)}… (${form})`).toBe(false);
};

let cluster: TestCluster;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });

beforeAll(async () => {
  cluster = await startTestCluster();
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  await cluster?.stop();
});

/** Every object of every listable namespaced resource in NS, as kubectl prints it. */
async function namespaceObjects(kubeconfig: string): Promise<string> {
  const kubectl = (...args: string[]) => execa('kubectl', ['--kubeconfig', kubeconfig, ...args]);
  const resources = (await kubectl('api-resources', '--verbs=list', '--namespaced', '-o', 'name')).stdout.split('\n').filter(Boolean);
  expect(resources).toEqual(expect.arrayContaining(['configmaps', 'secrets', 'leases.coordination.k8s.io']));
  return (await kubectl('get', resources.join(','), '-n', NS, '-o', 'json')).stdout;
}

describe('secrets across a kill -9 and a resume, run kept in the cluster (end to end)', { timeout: 150_000 }, () => {
  it('SIGKILL mid-step: no secret in any object of the namespace, the output or the process list', async () => {
    writeFileSync(path.join(tmp.dir, 'key.pem'), `${KEY_LINES.join('\n')}\n`, { mode: 0o600 });
    const options = { cwd: tmp.dir, env: { CRASH_TOKEN: TOKEN } };
    const common = ['--state', `kubernetes://${NS}`, '--kubeconfig', tmp.kubeconfig, '--state-dir', tmp.stateDir, '--output', 'json'];
    const cli = startCli(['run', fixture('secret-crash.yaml'), ...common, '--set', `dir=${tmp.dir}`], options);
    const seen = await cli.waitForOutput('"line":"ready"');
    const runId = /"runId":"(\d{8}-[^"]+)"/.exec(seen)![1]!;
    // While the step runs: opsbook's argv, its supervisor's and the step's are all in the process list.
    expectNoSecret(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }), 'ps -eo args');
    const during = await namespaceObjects(tmp.kubeconfig);
    expect(during).toContain(`opsbook-run-${runId}`);
    expectNoSecret(during, 'the namespace while the step runs');

    cli.kill('SIGKILL');
    const killed = await cli.result;
    expect(killed.signal).toBe('SIGKILL');
    expectNoSecret(killed.stdout + killed.stderr, 'output of the killed run');
    expect(killed.stdout).toContain('token ***');
    const afterCrash = await namespaceObjects(tmp.kubeconfig);
    // The journal in the cluster has the masked line the step printed: what is scanned is the run's own data.
    expect(afterCrash).toContain('token ***');
    expectNoSecret(afterCrash, 'the namespace after the crash');

    const resumed = await runCli(['resume', runId, ...common, '--break-lock'], options);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expectNoSecret(resumed.stdout + resumed.stderr, 'output of the resume');
    expect(resumed.stdout).toContain('"line":"after ***');
    expectNoSecret(await namespaceObjects(tmp.kubeconfig), 'the namespace after the resume');
  });
});

describe('the encoded forms checked', () => {
  it('find a secret base64-encoded inside a longer value at each alignment', () => {
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const encoded = Buffer.from(`${prefix}${TOKEN}!`).toString('base64');
      expect(formsOf(TOKEN).some(({ form, text }) => form.startsWith('base64') && encoded.includes(text)), `prefix ${JSON.stringify(prefix)}`).toBe(true);
    }
  });
});
