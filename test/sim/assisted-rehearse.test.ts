// `opsbook rehearse` never leaves the loopback: an http step to a host the scenario does not simulate, and a step
// opening a kubeconfig whose cluster is elsewhere, fail with "not simulated" naming the host; nothing is sent.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'opsbook-not-simulated-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RUNBOOK = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: outside }
spec:
  steps:
    - id: call-home
      uses: http
      retry: { attempts: 3, backoff: { initial: 1s } }
      with: { url: "https://telemetry.example.org/v1/ping" }
    - id: other-cluster
      uses: k8s-get
      with: { resource: clusterversion/version, kubeconfig: ./prod.kubeconfig }
`;

const PROD_KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: prod, cluster: { server: "https://api.prod.example.com:6443" } }]
users: [{ name: admin, user: { token: prod-token-0123456789 } }]
contexts: [{ name: prod, context: { cluster: prod, user: admin } }]
current-context: prod
`;

describe('rehearse beyond the loopback', { timeout: 120_000 }, () => {
  it('refuses a host the scenario does not simulate and a kubeconfig elsewhere, naming each, as permanent step errors', async () => {
    await writeFile(path.join(dir, 'outside.yaml'), RUNBOOK);
    await writeFile(path.join(dir, 'prod.kubeconfig'), PROD_KUBECONFIG);
    const scenario = path.resolve('runbooks/scenarios/sno-add-worker.yaml');
    const result = await runCli(['rehearse', 'outside.yaml', '--scenario', scenario, '--time-scale', '600', '--output', 'plain'], { cwd: dir, timeout: 90_000 });
    const output = result.stdout + result.stderr;
    expect(result.exitCode, output).toBe(1);
    expect(output).toContain(
      'GET https://telemetry.example.org/v1/ping: not simulated: telemetry.example.org (a request beyond the loopback during a rehearsal; the scenario simulates api.openshift.com, sso.redhat.com)',
    );
    expect(output).toContain('not simulated: api.prod.example.com (a cluster beyond the loopback during a rehearsal');
    expect(output).toMatch(/^Network: .*refused \(not simulated\): telemetry\.example\.org:443, api\.prod\.example\.com:6443$/m);
    // permanent: tried once, not retried
    expect(output.match(/call-home: attempt \d+\/\d+/g)).toEqual(['call-home: attempt 1/3']);
  });
});
