// opsbook approve|reject through the real CLI on the simulated cluster (HTTPS): a run kept with --state kubernetes://NS
// waits at a gate, answers come from other processes under other identities (--as/--as-group), RBAC and the gate's
// policy decide who counts, and the journal records who answered.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { makeTempDir, type TempDir } from './fixtures.js';

let cluster: TestCluster;
let tmp: TempDir;
let kubeconfig: string;

const RBAC = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'runs' } },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'gate-answerer', namespace: 'runs' },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list'] }],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'answerers', namespace: 'runs' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gate-answerer' },
    subjects: [
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'sre' },
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' },
    ],
  },
];

beforeAll(async () => {
  cluster = await startTestCluster();
  for (const object of RBAC) await cluster.kube.create(object as never);
});
afterAll(async () => {
  await cluster?.stop();
});
beforeEach(() => {
  tmp = makeTempDir();
  kubeconfig = path.join(tmp.dir, 'kubeconfig');
  writeFileSync(kubeconfig, cluster.sim.kubeconfig, { mode: 0o600 });
});
afterEach(() => tmp.cleanup());

const state = ['--state', 'kubernetes://runs', '--kubeconfig'];
const as = (user: string, ...groups: string[]) => ['--as', user, ...groups.flatMap((g) => ['--as-group', g])];

function writeGate(gate: Record<string, unknown>): string {
  const file = path.join(tmp.dir, 'gate.yaml');
  const policy = Object.entries(gate).map(([k, v]) => `        ${k}: ${JSON.stringify(v)}\n`).join('');
  writeFileSync(
    file,
    'apiVersion: opsbook.dev/v1\nkind: Runbook\nmetadata: { name: gated }\nspec:\n  steps:\n' +
      '    - id: check\n      uses: pause\n      with:\n        message: "is the change window open?"\n' +
      policy +
      '    - id: after\n      needs: [check]\n      run: echo done-after-gate\n',
  );
  return file;
}

/** Starts the run and resolves its id once the gate waits. */
async function startGatedRun(gate: Record<string, unknown>): Promise<{ cli: RunningCli; runId: string }> {
  const cli = startCli(['run', writeGate(gate), ...state, kubeconfig, '--state-dir', tmp.stateDir, '--output', 'plain']);
  const seen = await cli.waitForOutput(/waiting for approval/);
  return { cli, runId: /run (\d{8}-\S+) started/.exec(seen)![1]! };
}

const answer = (verb: 'approve' | 'reject', runId: string, ...rest: string[]) => runCli([verb, runId, 'check', ...state, kubeconfig, ...rest]);

async function journal(runId: string): Promise<{ type: string; [k: string]: unknown }[]> {
  const logs = await runCli(['logs', runId, ...state, kubeconfig, '--output', 'json']);
  return logs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
}

describe('opsbook approve|reject', () => {
  it('a waiting run shows in runs; approve from another process as alice (group sre) lets it proceed and the journal records alice', async () => {
    const { cli, runId } = await startGatedRun({ approvals: 1, approvers: { groups: ['sre'] } });
    const runs = await runCli(['runs', ...state, kubeconfig]);
    expect(runs.stdout).toMatch(new RegExp(`${runId}.*waiting for approval: check since \\d{4}-\\d\\d-\\d\\dT`));
    const approved = await answer('approve', runId, ...as('alice', 'sre'), '--comment', 'window open');
    expect(approved.stderr).toBe('');
    expect(approved.exitCode).toBe(0);
    expect(approved.stdout).toContain(`approved check of run ${runId} as alice`);
    const done = await cli.result;
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toContain('done-after-gate');
    const events = await journal(runId);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-approval', stepId: 'check', approved: true, by: 'alice' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-log', stepId: 'check', line: 'approved by alice: window open' }));
  }, 60_000);

  it('approvals: 2 needs two distinct identities (the same one twice counts once); bob outside the approvers group is refused', async () => {
    const { cli, runId } = await startGatedRun({ approvals: 2, approvers: { groups: ['sre'] } });
    const bob = await answer('approve', runId, ...as('bob'));
    expect(bob.exitCode).toBe(2);
    expect(bob.stderr).toContain('bob is not among the gate\'s approvers (group sre)');
    expect((await answer('approve', runId, ...as('alice', 'sre'))).exitCode).toBe(0);
    const again = await answer('approve', runId, ...as('alice', 'sre'));
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('needs 2 distinct approvers');
    // Still waiting: alice twice is one approver.
    expect((await runCli(['runs', ...state, kubeconfig])).stdout).toContain('waiting for approval: check');
    // Two --as-group values reach the server as two groups (one Impersonate-Group line each), not one joined "devs,sre".
    expect((await answer('approve', runId, ...as('carol', 'devs', 'sre'))).exitCode).toBe(0);
    expect((await cli.result).exitCode).toBe(0);
    expect(await journal(runId)).toContainEqual(expect.objectContaining({ type: 'step-approval', approved: true, by: 'alice, carol' }));
  }, 60_000);

  it('an approver without RBAC to create the answer gets a 403-based refusal naming verb, resource and namespace', async () => {
    const { cli, runId } = await startGatedRun({ approvals: 1 });
    const mallory = await answer('approve', runId, ...as('mallory', 'devs'));
    expect(mallory.exitCode).toBe(2);
    expect(mallory.stderr).toContain('403 Forbidden: User "mallory" cannot create resource "configmaps" in API group "" in the namespace "runs"');
    expect((await answer('reject', runId, ...as('bob'), '--comment', 'not today'))).toMatchObject({ exitCode: 0 });
    const done = await cli.result;
    expect(done.exitCode).not.toBe(0);
    expect(done.stdout + done.stderr).toContain('not approved (answered no by bob: not today)');
    expect(await journal(runId)).toContainEqual(expect.objectContaining({ type: 'step-approval', approved: false, by: 'bob' }));
  }, 60_000);

  it('timeout with onTimeout: approve passes the gate; with onTimeout: reject it fails', async () => {
    const passed = await startGatedRun({ timeout: '1s', onTimeout: 'approve' });
    expect((await passed.cli.result).exitCode).toBe(0);
    expect(await journal(passed.runId)).toContainEqual(expect.objectContaining({ type: 'step-approval', approved: true, by: 'timeout (onTimeout: approve)' }));
    const failed = await startGatedRun({ timeout: '1s' });
    const done = await failed.cli.result;
    expect(done.exitCode).not.toBe(0);
    expect(done.stdout + done.stderr).toContain("not approved within the gate's timeout (onTimeout: reject)");
  }, 60_000);

  it('answering a gate that is not waiting is refused', async () => {
    const { cli, runId } = await startGatedRun({ approvals: 1 });
    const wrong = await runCli(['approve', runId, 'after', ...state, kubeconfig, ...as('alice', 'sre')]);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain(`run ${runId} is not waiting at a gate after`);
    await answer('reject', runId, ...as('alice', 'sre'));
    await cli.result;
  }, 60_000);

  it('notify: the webhook gets the waiting gate as JSON (a loopback server here); an unreachable one is logged, not fatal', async () => {
    const received: { path: string; type: string | undefined; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', type: req.headers['content-type'], body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const { cli, runId } = await startGatedRun({ notify: `http://127.0.0.1:${port}/hook?token=hook-secret-123` });
      await answer('approve', runId, ...as('alice', 'sre'));
      expect((await cli.result).exitCode).toBe(0);
      expect(received).toHaveLength(1);
      expect(received[0]!.path).toBe('/hook?token=hook-secret-123');
      expect(received[0]!.type).toBe('application/json');
      const body = JSON.parse(received[0]!.body) as Record<string, unknown>;
      expect(body).toEqual({ runId, stepId: 'check', message: 'is the change window open?', since: expect.stringMatching(/^\d{4}-/) });
      const events = JSON.stringify(await journal(runId));
      expect(events).toContain(`notified http://127.0.0.1:${port}`);
      expect(events).not.toContain('hook-secret-123');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // Nothing listens there any more: the gate still waits and is answered.
    const { cli, runId } = await startGatedRun({ notify: `http://127.0.0.1:${port}/hook` });
    await answer('approve', runId, ...as('alice', 'sre'));
    expect((await cli.result).exitCode).toBe(0);
    expect(JSON.stringify(await journal(runId))).toMatch(/notify http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED.*the gate waits anyway/);
  }, 60_000);

  it('on the local store the running process sees an answer given from another process, as the local user (said so)', async () => {
    const local = ['--state-dir', tmp.stateDir];
    const cli = startCli(['run', writeGate({ approvals: 1 }), ...local, '--output', 'plain']);
    const seen = await cli.waitForOutput(/waiting for approval/);
    const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
    const listed = await runCli(['runs', ...local]);
    expect(listed.stdout).toMatch(new RegExp(`${runId}.*waiting for approval: check since`));
    const approved = await runCli(['approve', runId, 'check', ...local]);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toContain(`as ${os.userInfo().username} (local user)`);
    expect((await cli.result).exitCode).toBe(0);
    const logs = await runCli(['logs', runId, ...local, '--output', 'json']);
    expect(logs.stdout).toContain(`"type":"step-approval","stepId":"check","approved":true,"by":"${os.userInfo().username}"`);
  }, 60_000);

  it('a rejected gate asks again on resume: answers given before it started waiting do not count', async () => {
    const { cli, runId } = await startGatedRun({ approvals: 1 });
    await answer('reject', runId, ...as('bob'), '--comment', 'not yet');
    expect((await cli.result).exitCode).not.toBe(0);
    const resumed = startCli(['resume', runId, ...state, kubeconfig, '--state-dir', tmp.stateDir, '--output', 'plain']);
    await resumed.waitForOutput(/waiting for approval/);
    expect((await answer('approve', runId, ...as('alice', 'sre'))).exitCode).toBe(0);
    const done = await resumed.result;
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toContain('done-after-gate');
  }, 60_000);

  it('on a terminal the y/N prompt and opsbook approve race: the remote answer wins and the prompt goes away', async () => {
    const local = ['--state-dir', tmp.stateDir];
    const cli = startCli(['run', writeGate({ timeout: '5m' }), ...local, '--output', 'plain'], { tty: true });
    const seen = await cli.waitForOutput('is the change window open? [y/N]');
    const runId = /run (\d{8}-\S+) started/.exec(seen)![1]!;
    expect((await runCli(['approve', runId, 'check', ...local])).exitCode).toBe(0);
    const done = await cli.result;
    expect(done.exitCode).toBe(0);
    expect(done.stdout).toContain('done-after-gate');
  }, 60_000);
});
