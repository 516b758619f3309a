// `opsbook sim serve` end to end: the ready line, a kubeconfig the real kubectl can use, a clean SIGTERM, usage errors.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, startCli } from '../helpers/cli.js';

const KUBECTL = '/usr/bin/kubectl';
const SCENARIO = join(repoRoot, 'runbooks/scenarios/two-workers.yaml');
const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-serve-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A port nobody listens on right now (the OS picks it, then we release it for the CLI). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!existsSync(KUBECTL))('sim serve', () => {
  it('prints the listening line, writes a working kubeconfig, and prints counters after SIGTERM', async () => {
    const port = await freePort();
    const kubeconfig = join(dir, 'kubeconfig');
    const cli = startCli(['sim', 'serve', '--scenario', SCENARIO, '--kubeconfig-out', kubeconfig, '--port', String(port), '--time-scale', '30'], { timeout: 60_000 });
    const seen = await cli.waitForOutput(/listening on \S+\n/);
    expect(seen.split('\n')).toContain(`listening on https://127.0.0.1:${port}`);
    expect(await readFile(kubeconfig, 'utf8')).toContain(`server: https://127.0.0.1:${port}`);
    const { stdout } = await run(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'name'], { timeout: 30_000 });
    // The workload kubelet runs pods on these (the scenario's) nodes: it registers no node of its own.
    expect(stdout.trim().split('\n')).toEqual(['node/master-0', 'node/master-1', 'node/master-2']);
    cli.kill('SIGTERM');
    const result = await cli.result;
    expect(result.signal).toBeUndefined();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^stopped; \d+ requests$/m);
    expect(result.stdout).toMatch(/^ {2}list nodes: 1$/m);
  });

  it.each([
    ['--port', 'abc'],
    ['--port', '70000'],
    ['--port', '1.5'],
    ['--time-scale', '0'],
    ['--time-scale', 'fast'],
  ])('rejects %s %s with exit code 2', async (flag, value) => {
    const result = await runCli(['sim', 'serve', '--scenario', SCENARIO, `${flag}=${value}`], { timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(flag);
    expect(result.stdout).not.toContain('listening on');
  });

  it('answers a missing scenario file with exit code 2, as other commands answer a missing file', async () => {
    const missing = join(dir, 'missing.yaml');
    const result = await runCli(['sim', 'serve', '--scenario', missing], { timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`cannot read ${missing}: no such file`);
    expect(result.stdout).not.toContain('listening on');
  });
});
