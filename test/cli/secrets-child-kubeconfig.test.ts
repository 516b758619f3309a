// The kubeconfig shell steps get under --as holds a copy of the user's credentials: it is gone once opsbook ends however
// it ends — SIGINT, SIGTERM, SIGHUP (its own handlers) and kill -9 (the parent-death supervisor removes it) — and its
// token is in no process's arguments while the step runs.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { useTempDir } from './fixtures.js';

const runbook = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: holds-kubeconfig }
spec:
  steps:
    - id: wait
      run: |
        echo "ready $KUBECONFIG"
        sleep 120
`;

let cluster: TestCluster;
let token: string;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });
let tempRoot: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  token = /token: (\S+)/.exec(cluster.sim.kubeconfig)![1]!;
});
afterAll(async () => {
  await cluster?.stop();
});
beforeEach(() => {
  tempRoot = path.join(tmp.dir, 'tmp');
  mkdirSync(tempRoot);
  writeFileSync(path.join(tmp.dir, 'holds.yaml'), runbook);
});

/** Polls `condition` until it holds; the supervisor works after opsbook is gone, on its own schedule. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect.fail(`never: ${what}`);
}

describe('the --as kubeconfig across the ways opsbook ends', { timeout: 120_000 }, () => {
  it.each(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s mid-step: the generated kubeconfig and its folder are removed', async (signal) => {
    const cli = startCli(['run', 'holds.yaml', '--state-dir', tmp.stateDir, '--kubeconfig', tmp.kubeconfig, '--output', 'plain', '--as', 'alice'], {
      cwd: tmp.dir,
      env: { TMPDIR: tempRoot, KUBECONFIG: undefined },
    });
    const seen = await cli.waitForOutput(/ready \S+impersonating\.kubeconfig/);
    const file = /ready (\S+impersonating\.kubeconfig)/.exec(seen)![1]!;
    expect(path.dirname(path.dirname(file))).toBe(tempRoot);
    expect(existsSync(file)).toBe(true);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(token);

    cli.kill(signal);
    const ended = await cli.result;
    expect(ended.stdout + ended.stderr).not.toContain(token);
    await eventually(() => readdirSync(tempRoot).filter((n) => n.startsWith('opsbook-context-')).length === 0, `${path.dirname(file)} removed after ${signal}`);
  });
});
