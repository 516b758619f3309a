// `opsbook sim serve` runs submitted Jobs: its Job controller creates the pod and its kubelet reports an image it cannot run, which
// `submit --wait` turns into a clear error; the default image is the one pods run as this build (named in the banner).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { fixture } from './fixtures.js';

const SCENARIO = path.join(import.meta.dirname, '../../runbooks/scenarios/two-workers.yaml');
let dir: string;
let serve: RunningCli;
let kubeconfig: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'submit-serve-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  serve = startCli(['sim', 'serve', '--scenario', SCENARIO, '--kubeconfig-out', kubeconfig], { timeout: 90_000 });
  await serve.waitForOutput(/listening on \S+\n/);
});
afterAll(async () => {
  serve?.kill('SIGTERM');
  await serve?.result;
  rmSync(dir, { recursive: true, force: true });
});

describe('submit against sim serve', () => {
  it('names the image it runs, and submit --wait reports an image it cannot pull (exit 1)', async () => {
    const banner = await serve.waitForOutput(/pods of \S+ run as local processes/);
    expect(banner).toMatch(/pods of ghcr\.io\/opsbook\/opsbook:\d+\.\d+\.\d+\S* run as local processes \(dist\/bundle\/opsbook\.js\); any other image stays in ImagePullBackOff/);
    const ns = await execa('kubectl', ['--kubeconfig', kubeconfig, 'create', 'namespace', 'ops'], { reject: false });
    expect(ns.exitCode, ns.stderr).toBe(0);
    const r = await runCli(['submit', fixture('crash.yaml'), '--namespace', 'ops', '--kubeconfig', kubeconfig, '--image', 'example.invalid/opsbook:0', '--set', `dir=${dir}`, '--wait'], { timeout: 60_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/did not start: pod opsbook-job-\S+ cannot start: (ErrImagePull|ImagePullBackOff).*example\.invalid\/opsbook:0/);
    const pods = await execa('kubectl', ['--kubeconfig', kubeconfig, '-n', 'ops', 'get', 'pods', '-o', 'jsonpath={.items[*].status.phase} {.items[*].spec.nodeName}'], { reject: false });
    // Bound to one of the scenario's own nodes (two-workers: master-0 …), not to a node kubectl get nodes lacks.
    expect(pods.stdout).toBe('Pending master-0');
  }, 90_000);
});
