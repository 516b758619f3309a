// Issue 11's end-to-end test on the simulated cluster over HTTPS: the real CLI submits a gated runbook; the Job's pod runs it (this
// checkout's CLI as a local process); the pod is killed mid-step with SIGKILL, as an OOM kill or a node crash would; the Job's next pod
// takes the dead pod's Lease over at once and resumes from the cluster journal; the gate waits; alice approves from another process
// under her own identity and the run completes. Nothing that succeeded re-ran, the killed step ran again once, no secret leaked.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, Lease } from '../../src/k8s/types.js';
import { runCli, startCli } from '../helpers/cli.js';
import { useTempDir } from './fixtures.js';
import { IMAGE, startSubmitCluster, until, type SubmitCluster } from './submit-cluster.js';

const NS = 'gated';
const TOKEN = 'T0ken-gate-e2e-SECRET';
let env: SubmitCluster;
const tmp = useTempDir({ kubeconfig: () => env.cluster.sim.kubeconfig });

// Who may answer a gate in NS: group sre may create the answer (a ConfigMap); mallory has no binding.
const RBAC = [
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'gate-answerer', namespace: NS }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list'] }] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'answerers', namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gate-answerer' },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'sre' }],
  },
];

beforeAll(async () => {
  env = await startSubmitCluster(NS, TOKEN);
  for (const object of RBAC) await env.cluster.kube.create(object as never);
});
afterAll(async () => {
  await env?.stop();
});

const RUNBOOK = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: gated-submit }
spec:
  inputs:
    dir: { type: string }
    token: { type: secret, fromEnv: SUBMIT_TEST_TOKEN }
  steps:
    - id: first
      env: { DIR: "\${{ inputs.dir }}", STEP: first }
      run: echo "start $STEP $$" >> "$DIR/markers"
    - id: slow
      needs: [first]
      env: { DIR: "\${{ inputs.dir }}", STEP: slow, TOKEN: "\${{ inputs.token }}" }
      run: |
        echo "start $STEP $$" >> "$DIR/markers"
        echo "slow pid=$$ token=$TOKEN"
        while [ ! -e "$DIR/go" ]; do sleep 0.1; done
        echo "end $STEP $$" >> "$DIR/markers"
    - id: change-window
      needs: [slow]
      uses: pause
      with:
        message: may the change proceed?
        approvers: { groups: [sre] }
    - id: after
      needs: [change-window]
      env: { DIR: "\${{ inputs.dir }}", STEP: after }
      run: echo "start $STEP $$" >> "$DIR/markers"
`;

type Pod = KubeObject & { status?: { phase?: string; containerStatuses?: { state?: { terminated?: { exitCode?: number; reason?: string } } }[] } };
type Job = KubeObject & { status?: { failed?: number; conditions?: { type: string; status: string }[] } };

const markers = () => (existsSync(path.join(tmp.dir, 'markers')) ? readFileSync(path.join(tmp.dir, 'markers'), 'utf8') : '');
const count = (what: string, step: string) => markers().split('\n').filter((l) => l.startsWith(`${what} ${step} `)).length;

describe('submit, a pod killed mid-step, a gate approved from elsewhere', () => {
  it('the next pod takes the killed pod\'s run over at once and resumes it; alice approves as herself, mallory is refused (403); nothing succeeded re-runs', async () => {
    const runbook = path.join(tmp.dir, 'gated.yaml');
    writeFileSync(runbook, RUNBOOK);
    const kube = ['--kubeconfig', tmp.kubeconfig];
    const state = ['--state', `kubernetes://${NS}`, ...kube];
    const submit = startCli(['submit', runbook, '--namespace', NS, ...kube, '--image', IMAGE, '--target-kubeconfig-secret', 'target', '--set', `dir=${tmp.dir}`, '--secret-from', 'token=tokens/token', '--output', 'json', '--wait'], { timeout: 120_000 });
    const runId = /\d{8}-\d{6}-\d{3}-[0-9a-f]{6}/.exec(await submit.waitForOutput(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/m))![0];
    const jobName = `opsbook-job-${runId}`;
    const podsOfRun = async () => (await env.cluster.kube.list<Pod>('v1', 'Pod', { namespace: NS, labelSelector: `opsbook.dev/run-id=${runId}` })).items;

    // 1. The first pod runs the run to the middle of the slow step; its opsbook holds the run's Lease, naming its pod.
    await until('the slow step to start in the first pod', () => (count('start', 'slow') === 1 ? true : undefined));
    const [first] = await podsOfRun();
    const leaseOwner = async () => {
      const lease = await env.cluster.kube.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: `opsbook-run-${runId}`, namespace: NS });
      return JSON.parse(lease?.metadata.annotations?.['opsbook.dev/owner'] ?? '{}') as { pod?: { name: string; namespace: string; uid: string } };
    };
    expect((await leaseOwner()).pod).toEqual({ name: first!.metadata.name, namespace: NS, uid: first!.metadata.uid });

    // 2. SIGKILL to every process of the pod's container at once (an OOM kill, a crashed node's runtime): nothing is released.
    const held = (await env.cluster.kube.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: `opsbook-run-${runId}`, namespace: NS }))!.spec!;
    expect(env.workloads.pods.pid(NS, first!.metadata.name!)).toBeGreaterThan(0);
    expect(env.workloads.pods.kill(NS, first!.metadata.name!)).toBe(true);

    // 3. restartPolicy Never: the pod Failed with 137; under the Job's podFailurePolicy that is a counted failure and a new pod.
    const killed = await until('the killed pod to fail', async () => (await podsOfRun()).find((p) => p.metadata.uid === first!.metadata.uid && p.status?.phase === 'Failed'));
    expect(killed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    await until('the slow step to start again in the next pod', () => (count('start', 'slow') === 2 ? true : undefined));
    const second = (await podsOfRun()).find((p) => p.metadata.uid !== first!.metadata.uid)!;
    expect((await leaseOwner()).pod?.name).toBe(second.metadata.name);
    // Taken over while the dead pod's Lease was still live: because the API server said its pod Failed, not because it expired.
    const taken = (await env.cluster.kube.get<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name: `opsbook-run-${runId}`, namespace: NS }))!.spec!;
    expect(Date.parse(taken.acquireTime!)).toBeLessThan(Date.parse(held.renewTime!) + held.leaseDurationSeconds! * 1000);

    // 4. The slow step ends; the gate waits, and runs says so.
    writeFileSync(path.join(tmp.dir, 'go'), '');
    const waiting = await until('the gate to wait', async () => {
      const runs = await runCli(['runs', ...state]);
      return /waiting for approval: change-window since \d{4}-/.test(runs.stdout) ? runs.stdout : undefined;
    });
    expect(waiting).toContain(runId);

    // 5. mallory (no RBAC to answer) is refused by the API server, for approve and reject alike: exit 2 and the 403.
    const refusals = await Promise.all(['approve', 'reject'].map((verb) => runCli([verb, runId, 'change-window', ...state, '--as', 'mallory', '--as-group', 'devs'])));
    for (const mallory of refusals) {
      expect(mallory.exitCode, mallory.stderr).toBe(2);
      expect(mallory.stderr).toContain('403 Forbidden: User "mallory" cannot create resource "configmaps" in API group "" in the namespace "gated"');
    }
    // 6. alice (group sre) approves from this other process, as herself; the run completes.
    const approved = await runCli(['approve', runId, 'change-window', ...state, '--as', 'alice', '--as-group', 'sre', '--comment', 'window open']);
    expect(approved.stderr).toBe('');
    expect(approved.exitCode).toBe(0);
    expect(approved.stdout).toContain(`approved change-window of run ${runId} as alice`);
    const result = await submit.result;
    expect(result.exitCode, result.stderr).toBe(0);
    const followed = result.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { type: string; status?: string });
    expect(followed.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });

    // Nothing that succeeded re-ran; the killed step ran again exactly once, and finished once.
    expect(count('start', 'first')).toBe(1);
    expect(count('start', 'slow')).toBe(2);
    expect(count('end', 'slow')).toBe(1);
    expect(count('start', 'after')).toBe(1);
    // The journal records alice as the approver, and two starts of the run (the first pod's, the resumed one's).
    // Read concurrently (each CLI start costs seconds): the run's journal, and both pods' logs through kubectl.
    const [logs, ...podLogResults] = await Promise.all([runCli(['logs', runId, ...state, '--output', 'json']), ...[first!, second].map((p) => execa('kubectl', [...kube, '-n', NS, 'logs', p.metadata.name!], { reject: false }))]);
    const events = logs.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; [k: string]: unknown });
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-approval', stepId: 'change-window', approved: true, by: 'alice' }));
    expect(events.filter((e) => e.type === 'run-start')).toHaveLength(2);

    // The Job: complete, with the one kill as its one counted failure (the next pod did not first fail on a held Lease).
    const job = await until('the Job to complete', async () => {
      const j = await env.cluster.kube.get<Job>({ apiVersion: 'batch/v1', kind: 'Job', name: jobName, namespace: NS });
      return j?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.failed).toBe(1);
    expect((await podsOfRun()).map((p) => p.status?.phase).sort()).toEqual(['Failed', 'Succeeded']);

    // No secret value in the pods' logs (kubectl logs), the run's objects in the cluster, or any CLI output.
    const podLogs = podLogResults.map((log) => {
      expect(log.exitCode, log.stderr).toBe(0);
      return log.stdout;
    });
    expect(podLogs[0]).toMatch(/slow pid=\d+ token=\*+/);
    expect(podLogs[1]).toContain(`took the claim over from pod ${NS}/${first!.metadata.name} (pid `);
    expect(podLogs[1]).toContain('which is Failed');
    const stored = JSON.stringify([
      ...(await env.cluster.kube.list('v1', 'ConfigMap', { namespace: NS, labelSelector: `opsbook.dev/run-id=${runId}` })).items,
      ...(await env.cluster.kube.list('coordination.k8s.io/v1', 'Lease', { namespace: NS })).items,
    ]);
    expect(stored).toContain('step-approval');
    for (const [where, text] of Object.entries({ podLogs: podLogs.join('\n'), stored, submit: result.stdout + result.stderr, logs: logs.stdout, runs: waiting, approve: approved.stdout })) {
      expect(text, where).not.toContain(TOKEN);
    }
  }, 150_000);
});
