// submit end to end on the simulated cluster over HTTPS: the real CLI submits, the simulated Job controller starts a pod that runs the
// real CLI (this checkout, through tsx) as a local process; the pod is evicted mid-step, the Job's next pod resumes the same run from
// the cluster journal without re-running the step that succeeded; submit --wait follows it to the end. An unknown image is reported.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runIdForJob } from '../../src/submit/index.js';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { runCli, startCli } from '../helpers/cli.js';
import type { TestCluster } from '../k8s/helpers.js';
import { fixture, useTempDir } from './fixtures.js';
import { IMAGE, startSubmitCluster, until, type SubmitCluster } from './submit-cluster.js';

let env: SubmitCluster;
let cluster: TestCluster;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });

beforeAll(async () => {
  env = await startSubmitCluster('ops', 'T0ken-e2e-SECRET');
  cluster = env.cluster;
});
afterAll(async () => {
  await env?.stop();
});

type Pod = KubeObject & { status?: { phase?: string } };
const markers = () => (existsSync(path.join(tmp.dir, 'markers')) ? readFileSync(path.join(tmp.dir, 'markers'), 'utf8') : '');
const started = (step: string) => markers().split('\n').filter((l) => l.startsWith(`start ${step} `)).length;

describe('opsbook submit on the simulated cluster', () => {
  it('an evicted pod is replaced and the new pod resumes the run from the cluster journal; --wait follows it to success', async () => {
    const args = ['submit', fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', tmp.kubeconfig, '--image', IMAGE, '--target-kubeconfig-secret', 'target', '--set', `dir=${tmp.dir}`, '--secret-from', 'token=tokens/token', '--output', 'json', '--wait'];
    const cli = startCli(args, { timeout: 120_000 });
    const runId = (await cli.waitForOutput(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/m)).match(/\d{8}-\d{6}-\d{3}-[0-9a-f]{6}/)![0];
    await until('the slow step to start in the first pod', () => (started('slow') === 1 ? true : undefined));
    const [first] = (await cluster.kube.list<Pod>('v1', 'Pod', { namespace: 'ops', labelSelector: `opsbook.dev/run-id=${runId}` })).items;
    // Evicted (as a node drain does): SIGTERM to the pod's opsbook, which stops the run as interrupted and releases its Lease.
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: first!.metadata.name, namespace: 'ops' } });
    const evicted = await execa('kubectl', ['--kubeconfig', tmp.kubeconfig, 'create', '--raw', `/api/v1/namespaces/ops/pods/${first!.metadata.name}/eviction`, '-f', '-'], { input: eviction, reject: false });
    expect(evicted.exitCode, evicted.stderr).toBe(0);
    await until('the slow step to start again in the next pod', () => (started('slow') === 2 ? true : undefined));
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const result = await cli.result;
    expect(result.stderr).toContain(`job.batch/opsbook-job-${runId} created in ops`);
    expect(result.exitCode).toBe(0);
    expect(started('first')).toBe(1);
    expect(started('slow')).toBe(2);
    const events = result.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { type: string; status?: string });
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
    const job = await until('the Job to complete', async () => {
      const j = await cluster.kube.get<KubeObject & { status?: { conditions?: { type: string; status: string }[]; failed?: number } }>({ apiVersion: 'batch/v1', kind: 'Job', name: `opsbook-job-${runId}`, namespace: 'ops' });
      return j?.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    // The eviction does not count against backoffLimit (podFailurePolicy Ignore on DisruptionTarget).
    expect(job.status?.failed).toBe(0);
    const pods = (await cluster.kube.list<Pod>('v1', 'Pod', { namespace: 'ops', labelSelector: `opsbook.dev/run-id=${runId}` })).items;
    expect(pods.map((p) => p.status?.phase)).toEqual(['Succeeded']);
    // The second pod's log is the resumed run's plain output (kubectl logs through the simulated pods/log).
    const log = await execa('kubectl', ['--kubeconfig', tmp.kubeconfig, '-n', 'ops', 'logs', pods[0]!.metadata.name!], { reject: false });
    expect(log.exitCode, log.stderr).toBe(0);
    expect(log.stdout).toContain(runId);
    expect(log.stdout).toMatch(/slow pid=\d+/);
    expect(log.stdout).not.toContain('T0ken-e2e-SECRET');
    expect(result.stdout).not.toContain('T0ken-e2e-SECRET');
    const runs = await runCli(['runs', '--state', 'kubernetes://ops', '--kubeconfig', tmp.kubeconfig, '--output', 'json']);
    expect(JSON.parse(runs.stdout)).toEqual([expect.objectContaining({ runId, status: 'succeeded' })]);
  }, 150_000);

  it('a scheduled Job (from the --schedule CronJob\'s template) derives its run id from its name, so its next pod resumes that run', async () => {
    const printed = await runCli(['submit', fixture('submit.yaml'), '--namespace', 'ops', '--image', IMAGE, '--target-kubeconfig-secret', 'target', '--set', `dir=${tmp.dir}`, '--secret-from', 'token=tokens/token', '--schedule', '*/5 * * * *', '--print']);
    expect(printed.exitCode, printed.stderr).toBe(0);
    const [configMap, cron] = parseYamlDocuments(printed.stdout, 'stdout') as [KubeObject, KubeObject & { spec: { jobTemplate: { metadata: object; spec: object } } }];
    await cluster.kube.create(configMap);
    // What the CronJob controller creates at 2026-12-03T15:00Z: a Job named <cronjob>-<unix minutes> from the template.
    const jobName = `${cron.metadata.name}-${Date.UTC(2026, 11, 3, 15, 0) / 60_000}`;
    await cluster.kube.create({ apiVersion: 'batch/v1', kind: 'Job', metadata: { ...cron.spec.jobTemplate.metadata, name: jobName, namespace: 'ops' }, spec: cron.spec.jobTemplate.spec });
    const runId = runIdForJob(jobName);
    expect(runId).toMatch(/^20261203-150000-000-[0-9a-f]{6}$/);
    await until('the slow step to start in the first pod', () => (started('slow') === 1 ? true : undefined));
    const [first] = (await cluster.kube.list<Pod>('v1', 'Pod', { namespace: 'ops', labelSelector: `batch.kubernetes.io/job-name=${jobName}` })).items;
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: first!.metadata.name, namespace: 'ops' } });
    const evicted = await execa('kubectl', ['--kubeconfig', tmp.kubeconfig, 'create', '--raw', `/api/v1/namespaces/ops/pods/${first!.metadata.name}/eviction`, '-f', '-'], { input: eviction, reject: false });
    expect(evicted.exitCode, evicted.stderr).toBe(0);
    await until('the slow step to start again in the next pod', () => (started('slow') === 2 ? true : undefined));
    writeFileSync(path.join(tmp.dir, 'gate'), '');
    const followed = await runCli(['logs', runId, '-f', '--state', 'kubernetes://ops', '--kubeconfig', tmp.kubeconfig, '--output', 'json'], { timeout: 60_000 });
    const events = followed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; status?: string });
    expect(events.filter((e) => e.type === 'run-start')).toHaveLength(2);
    await until('the run to succeed', async () => {
      const runs = JSON.parse((await runCli(['runs', '--state', 'kubernetes://ops', '--kubeconfig', tmp.kubeconfig, '--output', 'json'])).stdout) as { runId: string; status: string }[];
      return runs.find((r) => r.runId === runId && r.status === 'succeeded');
    });
    expect(started('first')).toBe(1);
  }, 150_000);

  it('--wait reports an image the cluster cannot pull, exit 1', async () => {
    const r = await runCli(['submit', fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', tmp.kubeconfig, '--image', 'registry.invalid/opsbook:nope', '--set', `dir=${tmp.dir}`, '--secret-from', 'token=tokens/token', '--wait']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/did not start: pod opsbook-job-\S+ cannot start: (ErrImagePull|ImagePullBackOff): failed to pull image "registry.invalid\/opsbook:nope".*pass --image/);
  }, 60_000);
});
