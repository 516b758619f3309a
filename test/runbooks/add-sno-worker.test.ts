// add-sno-worker.yaml rehearsed end to end by the real CLI, exactly as a user runs it: the runbook's real endpoints
// (api.openshift.com, sso.redhat.com) answered by the simulation, the scenario's dummy secrets standing in for real
// ones, and the worker installed by the simulated Assisted Installer joining the simulated cluster.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';

// 120×: a 30 s request timeout is still 250 ms of real time on a loaded machine (the POSTs are not retried).
const SCALE = 120;
const SCENARIO = 'runbooks/scenarios/sno-add-worker.yaml';
/** What a user has in the environment: never used by a rehearsal, never sent anywhere. */
const REAL_OFFLINE_TOKEN = 'real-offline-token-from-the-environment-0001';
const REAL_PULL_SECRET = '{"auths":{"cloud.openshift.com":{"auth":"cmVhbC1wdWxsLXNlY3JldA==","email":"sre@example.com"}}}';
/** The scenario's stand-ins (runbooks/scenarios/sno-add-worker.yaml). */
const DUMMY_OFFLINE_TOKEN = 'rehearsal-offline-token-not-a-real-one';
const DUMMY_PULL_AUTH = 'cmVoZWFyc2FsOmR1bW15';
/** Every JWT the simulated SSO issues starts with this (its header). */
const JWT_PREFIX = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'opsbook-sim' })).toString('base64url').slice(0, 20);

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'opsbook-sno-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

async function readAll(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
}

function rehearse(scenario = SCENARIO) {
  return runCli(
    [
      'rehearse', 'runbooks/add-sno-worker.yaml',
      '--scenario', scenario,
      '--time-scale', String(SCALE),
      '--state-dir', stateDir,
      '--approve', 'boot-host',
      '--set', 'clusterName=sno',
      '--set', 'baseDomain=example.com',
      '--set', 'workerName=worker-1',
      '--set', 'workerAddresses=["192.168.111.21"]',
      '--output', 'plain',
    ],
    { env: { OFFLINE_TOKEN: REAL_OFFLINE_TOKEN, PULL_SECRET: REAL_PULL_SECRET }, timeout: 180_000 },
  );
}

// The CLI, a simulation and ~35 simulated minutes at 120×: over vitest's default 30 s on a loaded machine.
describe('rehearse runbooks/add-sno-worker.yaml', { timeout: 180_000 }, () => {
  it('adds the worker from "import the cluster" to "node Ready" without leaving the loopback or using real credentials', async () => {
    const result = await rehearse();
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(0);

    // the validations failed first (the live detail said which), then passed; the stray host was left alone
    expect(output).toContain('worker-1: insufficient (ntp-synced=failure, api-int-domain-name-resolved-correctly=pending); lab-laptop: known');
    expect(output).toMatch(/host-ready \| GET https:\/\/api\.openshift\.com\/api\/assisted-install\/v2\/clusters\/[0-9a-f-]{36} → 200; condition met/);
    expect(output).toMatch(/installing-in-progress, Writing image to disk \d+%/);
    expect(output).toContain('https://api.openshift.com/api/assisted-images/images/');
    expect(output).toContain(
      'host worker-1: added-to-existing-cluster (discovering → insufficient → known → installing → installing-in-progress → added-to-existing-cluster)',
    );
    expect(output).toContain('host lab-laptop: known (discovering → known)');

    // eight steps take a token each; the 20-minute install wait outlives a 15-minute JWT, so it renewed — never a 401
    const tokens = /(\d+) access tokens? issued, (\d+) expired tokens? refused/.exec(output);
    expect(Number(tokens?.[1])).toBeGreaterThanOrEqual(9);
    expect(tokens?.[2]).toBe('0');

    // the worker joined: CSRs approved, Ready
    expect(output).toMatch(/worker-1\s+Ready/);
    expect(output).toMatch(/CSRs: [2-9] approved, 0 denied/);

    expect(result.stderr).toContain("rehearse: secret input(s) offlineToken, pullSecret take the scenario's stand-in values (secrets:)");
    // every connection the steps asked for went to the simulation: the policy's record
    expect(output).toMatch(/^Network: simulated sso\.redhat\.com:443 ×\d+, api\.openshift\.com:443 ×\d+; nothing beyond the loopback$/m);

    // no secret anywhere — the stand-ins, the real ones from the environment, the JWTs — in the terminal or state
    const journal = await readAll(stateDir);
    for (const text of [output, journal]) {
      for (const secret of [REAL_OFFLINE_TOKEN, 'cmVhbC1wdWxsLXNlY3JldA==', DUMMY_OFFLINE_TOKEN, DUMMY_PULL_AUTH, JWT_PREFIX]) expect(text).not.toContain(secret);
    }
    expect(journal).toContain('"isoUrl"');
    expect(journal).toContain('Host worker-1: updated status from installing-in-progress to added-to-existing-cluster');
  });

  it('stops at the first step when the SSO refuses the offline token, showing its reason and not the token', async () => {
    const wrong = 'revoked-offline-token-0000000000';
    const text = await readFile(path.join(repoRoot, SCENARIO), 'utf8');
    expect(text).toContain('OFFLINE_TOKEN: *offline');
    const scenario = path.join(stateDir, 'revoked.yaml');
    await writeFile(scenario, text.replace('OFFLINE_TOKEN: *offline', `OFFLINE_TOKEN: ${wrong}`));
    const result = await rehearse(scenario);
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(1);
    expect(output).toContain('400 Bad Request (expected 2xx): Invalid refresh token');
    expect(output).not.toContain(wrong);
    // only the token request reached the simulated SSO; nothing reached the API
    expect(output).toContain('Assisted Installer (simulated for api.openshift.com, sso.redhat.com): 1 request, 0 access tokens issued');
  });
});
