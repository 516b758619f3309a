// sim serve --clusters: kubectl reaches each cluster through its own context, each cluster its own (independent)
// simulation; a fleet scenario's variations apply and are listed; bad values and --port with several clusters are exit 2.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, startCli } from '../helpers/cli.js';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'fleet-sim-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(KUBECTL))('sim serve --clusters', () => {
  it("serves the fleet scenario's clusters, one context each, independent of each other", async () => {
    const kubeconfig = path.join(dir, 'kubeconfig');
    // fleet-two-workers: fleet.clusters is 10, one of them slow (×5), one refusing CSR approvals.
    const cli = startCli(['sim', 'serve', '--scenario', path.join(repoRoot, 'runbooks/scenarios/fleet-two-workers.yaml'), '--kubeconfig-out', kubeconfig], { timeout: 120_000 });
    try {
      await cli.waitForOutput(/\(sim-10\)\n/);
      const { stdout: contexts } = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'config', 'get-contexts', '-o', 'name']);
      expect(contexts.trim().split('\n').sort()).toEqual(Array.from({ length: 10 }, (_, i) => `sim-${i + 1}`).sort());
      // An object made on one cluster is not on another.
      await run(KUBECTL, ['--kubeconfig', kubeconfig, '--context', 'sim-2', 'create', 'configmap', 'only-here', '-n', 'default']);
      await run(KUBECTL, ['--kubeconfig', kubeconfig, '--context', 'sim-2', 'get', 'configmap', 'only-here', '-n', 'default']);
      const other = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--context', 'sim-3', 'get', 'configmap', 'only-here', '-n', 'default']).catch((e: { stderr: string }) => e);
      expect((other as { stderr: string }).stderr).toContain('not found');
    } finally {
      cli.kill('SIGTERM');
    }
    const result = await cli.result;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^sim-\d+: slow ×5$/m);
    expect(result.stderr).toMatch(/^sim-\d+: faults$/m);
    expect(result.stdout).toMatch(/^stopped; \d+ requests on 10 clusters$/m);
  });

  it.each([
    [['--clusters', '0'], '--clusters'],
    [['--clusters', 'many'], '--clusters'],
    [['--clusters', '2', '--port', '8443'], '--port serves one cluster'],
  ])('refuses %j with exit 2', async (args, message) => {
    const result = await runCli(['sim', 'serve', '--scenario', path.join(repoRoot, 'runbooks/scenarios/two-workers.yaml'), ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stdout).not.toContain('listening on');
  });
});
