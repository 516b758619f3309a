// `--state kubernetes://NS` through the real CLI against the simulated API server: run, runs, logs, a kill -9 mid-run
// and a resume from the cluster journal that does not re-run the succeeded step; bad namespaces and RBAC refused first.

import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { fixture, useTempDir } from './fixtures.js';

let cluster: TestCluster;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });

beforeAll(async () => {
  cluster = await startTestCluster({ users: [{ name: 'nobody', token: 'nobody-token-0123', groups: [] }] } as never);
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'runs' } });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'partial-runs' } });
});
afterAll(async () => {
  await cluster?.stop();
});

const state = ['--state', 'kubernetes://runs'];
const common = () => ['--kubeconfig', tmp.kubeconfig, '--state-dir', tmp.stateDir, '--output', 'plain'];
const markers = () => (existsSync(path.join(tmp.dir, 'markers')) ? readFileSync(path.join(tmp.dir, 'markers'), 'utf8') : '');
const started = (step: string) => markers().split('\n').filter((l) => l.startsWith(`start ${step} `)).length;

describe('--state kubernetes://NS', () => {
  it('run --only STEP --from-run RUN_ID reuses a run kept in the cluster (not looked for in the state directory)', async () => {
    // A namespace of its own: the other tests count the runs in theirs.
    const first = await runCli(['run', fixture('partial.yaml'), '--state', 'kubernetes://partial-runs', ...common(), '--set', `dir=${tmp.dir}`]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    const earlier = /run (\d{8}-\S+) started/.exec(first.stdout)![1]!;
    writeFileSync(path.join(tmp.dir, 'hosts'), 'b');
    const again = await runCli(['run', fixture('partial.yaml'), '--only', 'approve', '--from-run', earlier, '--state', 'kubernetes://partial-runs', ...common(), '--set', `dir=${tmp.dir}`]);
    expect(again.stderr).toBe('');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`inventory: reused from run ${earlier}`);
    // The reused inventory output (a), not a fresh run of it (b).
    expect(readFileSync(path.join(tmp.dir, 'approved.hosts'), 'utf8')).toBe('a\n');
  }, 120_000);

  it('runs, lists, shows logs, survives kill -9 and resumes from the cluster journal without re-running the succeeded step', async () => {
    const cli = startCli(['run', fixture('crash.yaml'), ...state, ...common(), '--set', `dir=${tmp.dir}`]);
    const seen = await cli.waitForOutput(/gated pid=\d+/);
    const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
    const stepPid = Number(/gated pid=(\d+)/.exec(seen)![1]);

    const listed = await runCli(['runs', ...state, '--kubeconfig', tmp.kubeconfig, '--output', 'json']);
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ runId, status: 'running' })]);
    // Nothing of the run is in the state directory: the journal is in the cluster.
    expect(existsSync(path.join(tmp.stateDir, 'runs', runId))).toBe(false);

    cli.kill('SIGKILL');
    expect((await cli.result).signal).toBe('SIGKILL');
    try {
      process.kill(-stepPid, 'SIGKILL');
    } catch {
      // its supervisor already ended it
    }

    // The dead writer's lease has not expired yet: a plain resume is refused before anything runs.
    const refused = await runCli(['resume', runId, ...state, ...common()]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`run ${runId} is claimed by pid \\d+ on host .*lease runs/opsbook-run-${runId}.*--break-lock`));

    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const resumed = await runCli(['resume', runId, ...state, ...common(), '--break-lock']);
    expect(resumed.stderr).toBe('');
    expect(resumed.exitCode).toBe(0);
    expect(started('first')).toBe(1);
    expect(started('gated')).toBe(2);
    expect(started('last')).toBe(1);

    const after = JSON.parse((await runCli(['runs', ...state, '--kubeconfig', tmp.kubeconfig, '--output', 'json'])).stdout) as { runId: string; status: string }[];
    expect(after).toEqual([expect.objectContaining({ runId, status: 'succeeded' })]);

    const logs = await runCli(['logs', runId, ...state, ...common()]);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toContain('gated pid=');
    expect(logs.stdout).toMatch(/last/);
    const json = await runCli(['logs', runId, ...state, '--kubeconfig', tmp.kubeconfig, '--output', 'json', '--follow']);
    expect(json.exitCode).toBe(0);
    const types = json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types.filter((t) => t === 'run-start')).toHaveLength(2);
    expect(types.at(-1)).toBe('run-end');
  }, 120_000);

  it('logs -f follows a live run from the cluster journal until it ends', async () => {
    const cli = startCli(['run', fixture('crash.yaml'), ...state, ...common(), '--set', `dir=${tmp.dir}`]);
    const seen = await cli.waitForOutput(/gated pid=\d+/);
    const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
    // Another working directory and no state directory: all it has is the cluster.
    const follow = startCli(['logs', runId, '-f', ...state, '--kubeconfig', tmp.kubeconfig, '--output', 'json'], { cwd: tmp.dir });
    await follow.waitForOutput(/"gated pid=\d+"/);
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const followed = await follow.result;
    expect((await cli.result).exitCode).toBe(0);
    expect(followed.exitCode).toBe(0);
    const events = followed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; stepId?: string });
    expect(events.filter((e) => e.type === 'step-end').map((e) => e.stepId)).toEqual(['first', 'gated', 'last']);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
  }, 60_000);

  it('keeps secrets out of every object it writes in the namespace', async () => {
    const secret = 'S3cr3t-cluster-VALUE';
    const r = await runCli(['run', fixture('secret.yaml'), ...state, ...common()], { env: { CLI_TEST_TOKEN: secret } });
    expect(r.exitCode).toBe(1);
    const runId = /run (\d{8}-\S+) started/.exec(r.stdout + r.stderr)![1]!;
    const objects = [
      ...(await cluster.kube.list('v1', 'ConfigMap', { namespace: 'runs', labelSelector: `opsbook.dev/run-id=${runId}` })).items,
      ...(await cluster.kube.list('coordination.k8s.io/v1', 'Lease', { namespace: 'runs' })).items,
    ];
    expect(objects.length).toBeGreaterThanOrEqual(3); // metadata, a journal chunk, the lease
    const text = JSON.stringify(objects);
    expect(text).toContain('token is ***');
    expect(text).not.toContain(secret);
    // What the README says finds a run's objects, with the real kubectl.
    const { execa } = await import('execa');
    const kubectl = await execa('kubectl', ['--kubeconfig', tmp.kubeconfig, '-n', 'runs', 'get', 'configmaps,leases', '-l', `opsbook.dev/run-id=${runId}`, '-o', 'name'], { reject: false });
    expect(kubectl.exitCode, kubectl.stderr).toBe(0);
    expect(kubectl.stdout.split('\n').sort()).toEqual([`configmap/opsbook-run-${runId}`, `configmap/opsbook-run-${runId}-j-0`, `lease.coordination.k8s.io/opsbook-run-${runId}`]);
  }, 60_000);

  it('stops a run whose lease another process took over, as interrupted and saying so', async () => {
    const cli = startCli(['run', fixture('crash.yaml'), ...state, ...common(), '--set', `dir=${tmp.dir}`]);
    const seen = await cli.waitForOutput(/gated pid=\d+/);
    const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
    const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: `opsbook-run-${runId}`, namespace: 'runs' };
    const lease = (await cluster.kube.get(ref))!;
    await cluster.kube.replace({ ...lease, spec: { ...(lease.spec as object), holderIdentity: 'elsewhere/1/-' }, metadata: { ...lease.metadata, annotations: { 'opsbook.dev/owner': JSON.stringify({ pid: 1, host: 'elsewhere', since: 'now' }) } } });
    // Its next renewal (a third of the 30 s lease) finds the lease taken over.
    const result = await cli.result;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`run stopped as interrupted: lost the claim on run ${runId} \\(lease runs/opsbook-run-${runId}\\): taken over by pid 1 on host elsewhere`));
    expect(started('last')).toBe(0);
  }, 60_000);

  it('of two concurrent resumes of one run, exactly one proceeds', async () => {
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const first = await runCli(['run', fixture('crash.yaml'), ...state, ...common(), '--set', `dir=${tmp.dir}`]);
    expect(first.exitCode).toBe(0);
    const runId = /run (\d{8}-\S+) started/.exec(first.stdout)![1]!;
    // The winner is held inside `gated` until the loser has exited, so the two resumes overlap however loaded the machine is.
    unlinkSync(path.join(tmp.dir, 'gate'));
    const resumes = [1, 2].map(() => startCli(['resume', runId, ...state, ...common(), '--from', 'gated']));
    const loser = await Promise.race(resumes.map((r) => r.result));
    expect(loser.exitCode).toBe(2);
    expect(loser.stderr).toMatch(/is claimed by pid \d+/);
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const results = await Promise.all(resumes.map((r) => r.result));
    expect(results.map((r) => r.exitCode).sort()).toEqual([0, 2]);
    expect(started('first')).toBe(1);
    expect(started('gated')).toBe(2);
    expect(started('last')).toBe(2);
  }, 60_000);

  it('refuses a namespace that does not exist, an identity without the rights, and a malformed --state, with exit 2 before anything runs', async () => {
    const missing = await runCli(['run', fixture('crash.yaml'), '--state', 'kubernetes://nope', ...common(), '--set', `dir=${tmp.dir}`]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/namespace nope does not exist on https:\/\/.*kubectl create namespace nope/);
    expect(markers()).toBe('');
    // An identity without the Role of deploy/rbac.yaml: refused before the run starts, naming what it lacks.
    const nobody = path.join(tmp.dir, 'nobody-kubeconfig');
    writeFileSync(nobody, cluster.sim.kubeconfig.replace(/token: .*/, 'token: nobody-token-0123'), { mode: 0o600 });
    const denied = await runCli(['run', fixture('crash.yaml'), ...state, '--kubeconfig', nobody, '--state-dir', tmp.stateDir, '--set', `dir=${tmp.dir}`]);
    expect(denied.exitCode).toBe(2);
    expect(denied.stderr).toMatch(/User "nobody" cannot list resource "configmaps".* in namespace runs: configmaps \(get, list, create, update\) and leases.coordination.k8s.io \(get, create, update\), and pods \(get\) to take over a run whose pod has ended .*; bind the Role in deploy\/rbac.yaml/);
    const deniedRuns = await runCli(['runs', ...state, '--kubeconfig', nobody]);
    expect(deniedRuns.exitCode).toBe(2);
    expect(markers()).toBe('');
    const malformed = await runCli(['runs', '--state', 'kubernetes://Bad_NS', '--kubeconfig', tmp.kubeconfig]);
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toMatch(/"Bad_NS" is not a namespace name/);
    const env = await runCli(['runs', '--kubeconfig', tmp.kubeconfig], { env: { OPSBOOK_STATE: 's3://bucket' } });
    expect(env.exitCode).toBe(2);
    expect(env.stderr).toMatch(/\$OPSBOOK_STATE s3:\/\/bucket: expected kubernetes:\/\/NAMESPACE/);
  });
});
