// spec.lock end to end: real CLI runs against the simulated cluster — a second run is refused naming the holder,
// Ctrl-C releases the lease, an expired lease is taken over, --break-lock takes a live one.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/types.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from './helpers.js';

let cluster: TestCluster;
let dir: string;

type Lease = KubeObject & { spec: { holderIdentity?: string; renewTime?: string } };

function runbook(name: string, script: string): string {
  return [
    'apiVersion: opsbook.dev/v1',
    'kind: Runbook',
    `metadata: { name: ${name} }`,
    'spec:',
    '  lock: { ttl: 30s }',
    '  steps:',
    '    - id: work',
    `      run: ${JSON.stringify(script)}`,
    '',
  ].join('\n');
}

async function writeRunbook(name: string, script: string): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, runbook(name, script));
  return file;
}

const args = (file: string, ...extra: string[]) => ['run', file, '--kubeconfig', cluster.sim.kubeconfigPath, '--state-dir', join(dir, 'state'), ...extra];
const lease = (name: string) => cluster.kube.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace: 'kube-system' });

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = await mkdtemp(join(tmpdir(), 'opsbook-lock-cli-'));
});

afterAll(async () => {
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('spec.lock through `opsbook run`', { timeout: 120_000 }, () => {
  it('refuses a second run while the first holds the lock, and releases the lease on Ctrl-C', async () => {
    const holding = await writeRunbook('maintenance', 'echo holding-the-lock; sleep 60');
    const first = startCli(args(holding));
    try {
      await first.waitForOutput('holding-the-lock');
      const held = await lease('maintenance');
      expect(held?.spec.holderIdentity).toMatch(/\//);

      const second = await runCli(args(holding), { timeout: 30_000 });
      expect(second.exitCode).toBe(1);
      const runId = held!.metadata.annotations!['opsbook.dev/run-id']!;
      expect(second.stdout + second.stderr).toContain(`lock kube-system/maintenance is held by run ${runId} (user `);
      expect(second.stdout + second.stderr).toMatch(/ since \d{4}-/);
    } finally {
      first.kill('SIGINT');
    }
    const ended = await first.result;
    expect(ended.exitCode).toBe(130);
    expect((await lease('maintenance'))?.spec.holderIdentity).toBeUndefined();

    const third = await runCli(args(await writeRunbook('maintenance', 'echo quick')), { timeout: 30_000 });
    expect(third.exitCode).toBe(0);
  });

  it('releases the lease when the run fails', async () => {
    const failed = await runCli(args(await writeRunbook('failing', 'echo about-to-fail; exit 3')), { timeout: 30_000 });
    expect(failed.exitCode).toBe(1);
    const after = await lease('failing');
    expect(after).toBeDefined();
    expect(after?.spec.holderIdentity).toBeUndefined();
  });

  it('takes over a lease whose holder crashed', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString().replace('Z', '000Z');
    await cluster.kube.create({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { name: 'after-crash', namespace: 'kube-system', annotations: { 'opsbook.dev/run-id': 'crashed-run' } },
      spec: { holderIdentity: 'someone@somewhere/crashed-run', leaseDurationSeconds: 30, acquireTime: hourAgo, renewTime: hourAgo },
    });
    const result = await runCli(args(await writeRunbook('after-crash', 'echo recovered')), { timeout: 30_000 });
    expect(result.exitCode).toBe(0);
  });

  it('--break-lock takes a live lease over', async () => {
    const holding = await writeRunbook('breakable', 'echo holding-the-lock; sleep 60');
    const first = startCli(args(holding));
    try {
      await first.waitForOutput('holding-the-lock');
      const quick = await writeRunbook('breakable', 'echo broke-in');
      const refused = await runCli(args(quick), { timeout: 30_000 });
      expect(refused.exitCode).toBe(1);
      const broke = await runCli(args(quick, '--break-lock'), { timeout: 30_000 });
      expect(broke.exitCode).toBe(0);
    } finally {
      first.kill('SIGINT');
      await first.result;
    }
  });
});
