// add-sno-worker.yaml rehearsed end to end by the real CLI: the Assisted Installer part against a local
// Assisted-Installer-like server (JWTs expire after 15 simulated minutes), the CSR part against the simulated cluster.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createScaledClock } from '../../src/time/clock.js';
import { startAssistedInstaller, type AssistedInstallerServer } from '../helpers/assisted-installer.js';
import { runCli } from '../helpers/cli.js';

const SCALE = 120;
const SCENARIO = 'runbooks/scenarios/sno-add-worker.yaml';
const CLUSTER_ID = '5d5f4ac1-3ab1-4c4e-9f4a-8d5c2a0e7b11';
const OFFLINE_TOKEN = 'offline-9f8e7d6c5b4a39281706';
const PULL_SECRET = '{"auths":{"cloud.openshift.com":{"auth":"cHVsbC1zZWNyZXQtdmFsdWU=","email":"sre@example.com"}}}';
/** Every JWT the test server issues starts with this header. */
const JWT_PREFIX = 'eyJhbGciOiJSUzI1NiJ9';

let ai: AssistedInstallerServer | undefined;
let stateDir: string;

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'opsbook-sno-'));
});
afterEach(async () => {
  await ai?.stop();
  ai = undefined;
  await rm(stateDir, { recursive: true, force: true });
});

async function readAll(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
}

function rehearse(server: AssistedInstallerServer, offlineToken = OFFLINE_TOKEN) {
  return runCli(
    [
      'rehearse', 'runbooks/add-sno-worker.yaml',
      '--scenario', SCENARIO,
      '--time-scale', String(SCALE),
      '--state-dir', stateDir,
      '--approve', 'boot-host',
      '--set', `apiUrl=${server.url}`,
      '--set', `tokenUrl=${server.tokenUrl}`,
      '--set', 'clusterName=sno',
      '--set', 'baseDomain=example.com',
      '--set', 'workerName=worker-1',
      '--set', 'workerAddresses=["192.168.111.21"]',
      '--output', 'plain',
    ],
    { env: { OFFLINE_TOKEN: offlineToken, PULL_SECRET }, timeout: 180_000 },
  );
}

// The CLI, a simulation and ~40 simulated minutes at 120×: well over vitest's default 30 s on a loaded machine.
describe('runbooks/add-sno-worker.yaml', { timeout: 180_000 }, () => {
  it('adds the worker: token, import, infra-env, ISO, validations, install, CSRs, Ready — renewing JWTs on the long waits', async () => {
    ai = await startAssistedInstaller({
      clock: createScaledClock(SCALE),
      offlineToken: OFFLINE_TOKEN,
      hostBootsAfterMs: 2 * 60_000,
      validationsPassAfterMs: 8 * 60_000,
      installDurationMs: 20 * 60_000,
      hostname: 'worker-1',
      // booted from the same ISO and ready first: must not be installed, the CSR steps would never approve it
      strayHostname: 'lab-laptop',
    });
    const result = await rehearse(ai);
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(0);

    // the API saw what procedures §2 describes
    const calls = ai.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, 'ID')} ${r.status}`);
    expect(calls).toContain('POST /api/assisted-install/v2/clusters/import 201');
    expect(calls).toContain('POST /api/assisted-install/v2/infra-envs 201');
    expect(calls).toContain('GET /api/assisted-install/v2/infra-envs/ID 200');
    expect(calls).toContain('POST /api/assisted-install/v2/infra-envs/ID/hosts/ID/actions/install 202');
    expect(calls).toContain('GET /api/assisted-install/v2/events 200');
    const imported = ai.requests.find((r) => r.path.endsWith('/clusters/import'))!.body;
    expect(imported).toEqual({ name: 'sno-day2', api_vip_dnsname: 'api.sno.example.com', openshift_cluster_id: CLUSTER_ID });
    const infraEnv = ai.requests.find((r) => r.path.endsWith('/infra-envs') && r.method === 'POST')!.body as Record<string, unknown>;
    expect(infraEnv).toMatchObject({ pull_secret: PULL_SECRET, image_type: 'full-iso' });
    expect(ai.hostStatuses()).toEqual({ 'worker-1': 'added-to-existing-cluster', 'lab-laptop': 'known' });

    // validations failed first, and the live detail said which
    expect(output).toContain('worker-1: insufficient (ntp-synced=failure, api-int-domain-name-resolved-correctly=pending); lab-laptop: known');
    expect(output).toMatch(/installing-in-progress, Writing image to disk \d+%/);
    expect(output).toContain('https://api.openshift.com/api/assisted-images/images/');

    // ~30 simulated minutes of polling with 15-minute JWTs: renewed, never a 401
    expect(ai.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(ai.tokensIssued()).toBeGreaterThanOrEqual(8);

    // the CSR part: the worker joined and is Ready
    expect(output).toMatch(/worker-1\s+Ready/);
    // client + serving approved (more when the kubelet rotated its client CSR while the install ran), nothing denied
    expect(output).toMatch(/CSRs: [2-9] approved, 0 denied/);

    // no secret anywhere: terminal, journal
    const journal = await readAll(stateDir);
    for (const text of [output, journal]) {
      expect(text).not.toContain(OFFLINE_TOKEN);
      expect(text).not.toContain('cHVsbC1zZWNyZXQtdmFsdWU=');
      expect(text).not.toContain(JWT_PREFIX);
    }
    expect(journal).toContain('"isoUrl"');
    expect(journal).toMatch(/Host worker-1: added to existing cluster/);
  });

  it('stops at the first step when the offline token is refused, without echoing it', async () => {
    ai = await startAssistedInstaller({ clock: createScaledClock(SCALE), offlineToken: OFFLINE_TOKEN });
    const wrong = 'offline-revoked-000000000000';
    const result = await rehearse(ai, wrong);
    const output = result.stdout + result.stderr;
    expect(result.exitCode).toBe(1);
    expect(output).toContain('Invalid refresh token');
    expect(output).not.toContain(wrong);
    expect(ai.requests.some((r) => r.path.startsWith('/api/'))).toBe(false);
  });
});
