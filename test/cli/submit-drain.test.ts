// A submitted run survives a node drain: real `kubectl cordon` + `kubectl drain` evicts the opsbook pod through the simulated eviction API,
// the Job's next pod is scheduled on the other Ready node (not the cordoned one) and resumes the same run; submit --wait follows it to success.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/k8s/types.js';
import { startCli } from '../helpers/cli.js';
import { fixture, useTempDir } from './fixtures.js';
import { IMAGE, startSubmitCluster, until, type SubmitCluster } from './submit-cluster.js';

let env: SubmitCluster;
const tmp = useTempDir({ kubeconfig: () => env.cluster.sim.kubeconfig });

beforeAll(async () => {
  env = await startSubmitCluster('ops', 'T0ken-drain-SECRET', { nodeNames: ['node-a', 'node-b'] });
});
afterAll(async () => {
  await env?.stop();
});

type Pod = KubeObject & { spec?: { nodeName?: string } };
const started = (step: string) => (existsSync(path.join(tmp.dir, 'markers')) ? readFileSync(path.join(tmp.dir, 'markers'), 'utf8') : '').split('\n').filter((l) => l.startsWith(`start ${step} `)).length;
const kubectl = (...args: string[]) => execa('kubectl', ['--kubeconfig', tmp.kubeconfig, ...args], { reject: false, timeout: 90_000 });

describe('opsbook submit and kubectl drain', () => {
  it('drain evicts the run\'s pod; the next pod runs on the other node and resumes the run', async () => {
    const cli = startCli(['submit', fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', tmp.kubeconfig, '--image', IMAGE, '--target-kubeconfig-secret', 'target', '--set', `dir=${tmp.dir}`, '--secret-from', 'token=tokens/token', '--wait'], { timeout: 150_000 });
    const runId = (await cli.waitForOutput(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/m)).match(/\d{8}-\d{6}-\d{3}-[0-9a-f]{6}/)![0];
    await until('the slow step to start in the first pod', () => (started('slow') === 1 ? true : undefined));
    const list = async () => (await env.cluster.kube.list<Pod>('v1', 'Pod', { namespace: 'ops', labelSelector: `opsbook.dev/run-id=${runId}` })).items;
    const [first] = await list();
    const from = first!.spec!.nodeName!;
    expect((await kubectl('get', 'nodes', '-o', 'name')).stdout).toContain(`node/${from}`);
    expect((await kubectl('cordon', from)).exitCode).toBe(0);
    const drained = await kubectl('drain', from, '--ignore-daemonsets', '--delete-emptydir-data', '--pod-selector', `opsbook.dev/run-id=${runId}`, '--timeout', '80s');
    expect(drained.exitCode, drained.stderr).toBe(0);
    expect(drained.stdout).toContain(`pod/${first!.metadata.name} evicted`);
    await until('the slow step to start again in the next pod', () => (started('slow') === 2 ? true : undefined));
    const [next] = await list();
    expect(next!.metadata.name).not.toBe(first!.metadata.name);
    expect(next!.spec?.nodeName).toBe(from === 'node-a' ? 'node-b' : 'node-a');
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const result = await cli.result;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(started('first')).toBe(1);
    expect(result.stdout + result.stderr).not.toContain('T0ken-drain-SECRET');
  }, 180_000);
});
