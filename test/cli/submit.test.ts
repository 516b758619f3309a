// `opsbook submit` through the real CLI against the simulated API server: --print manifests (checked by kubectl's
// server-side dry run), the Job and ConfigMap it creates, and every refusal (namespace, Secret, RBAC, secrets inlined) before anything is created.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import { runCli } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../k8s/helpers.js';
import { fixture, useTempDir } from './fixtures.js';

let cluster: TestCluster;
const tmp = useTempDir({ kubeconfig: () => cluster.sim.kubeconfig });

beforeAll(async () => {
  cluster = await startTestCluster({ users: [{ name: 'nobody', token: 'nobody-token-0123', groups: [] }] } as never);
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ops' } });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tokens', namespace: 'ops' }, stringData: { token: 'T0ken-NEVER-inline' } });
  await cluster.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'target', namespace: 'ops' }, stringData: { value: 'apiVersion: v1' } });
});
afterAll(async () => {
  await cluster?.stop();
});

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> }; spec?: any; data?: Record<string, string> };
const submitArgs = () => [fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', tmp.kubeconfig, '--set', 'dir=/work/x', '--set', 'window=20m', '--secret-from', 'token=tokens/token'];
const jobsIn = async (ns: string) => (await cluster.kube.list('batch/v1', 'Job', { namespace: ns })).items;

describe('opsbook submit', () => {
  it('--print writes a ConfigMap and a Job that kubectl apply --dry-run=server accepts, creating nothing', async () => {
    const r = await runCli(['submit', ...submitArgs(), '--print', '--target-kubeconfig-secret', 'target', '--service-account', 'opsbook']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const docs = (parseYamlDocuments(r.stdout, 'stdout') as Obj[]);
    expect(docs.map((d) => `${d.apiVersion} ${d.kind}`)).toEqual(['v1 ConfigMap', 'batch/v1 Job']);
    const [cm, job] = docs as [Obj, Obj];
    const runId = job.metadata.labels['opsbook.dev/run-id']!;
    expect(runId).toMatch(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
    expect(JSON.parse(cm.data!['values.json']!)).toEqual({ dir: '/work/x', window: '20m' });
    expect(cm.data!['runbook.yaml']).toContain('name: cli-submit');
    expect(job.spec.backoffLimit).toBe(6);
    expect(job.spec.podFailurePolicy.rules).toContainEqual({ action: 'FailJob', onExitCodes: { containerName: 'opsbook', operator: 'In', values: [1] } });
    expect(job.spec.activeDeadlineSeconds).toBe(20 * 60 + 60);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.serviceAccountName).toBe('opsbook');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const container = pod.containers[0];
    expect(container.image).toMatch(/^ghcr\.io\/opsbook\/opsbook:\d+\.\d+\.\d+/);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources.requests).toEqual({ cpu: '100m', memory: '256Mi' });
    expect(container.args).toEqual(expect.arrayContaining(['run', '--state', 'kubernetes://ops', '--run-id', runId, '--resume-if-exists', '--kubeconfig', '/opsbook/kube/value']));
    expect(container.env).toContainEqual({ name: 'SUBMIT_TEST_TOKEN', valueFrom: { secretKeyRef: { name: 'tokens', key: 'token' } } });
    expect(pod.volumes).toContainEqual({ name: 'target-kubeconfig', secret: { secretName: 'target' } });
    expect(r.stdout).not.toContain('T0ken');
    expect(await jobsIn('ops')).toEqual([]);

    const applied = await execa('kubectl', ['--kubeconfig', tmp.kubeconfig, 'apply', '--dry-run=server', '-f', '-', '-o', 'name'], { input: r.stdout, reject: false });
    expect(applied.stderr).toBe('');
    expect(applied.exitCode).toBe(0);
    expect(applied.stdout.trim().split('\n')).toEqual([`configmap/opsbook-job-${runId}`, `job.batch/opsbook-job-${runId}`]);
    expect(await jobsIn('ops')).toEqual([]);
  }, 60_000);

  it('--schedule prints a CronJob that forbids overlapping runs, each scheduled Job making its own run id', async () => {
    const r = await runCli(['submit', ...submitArgs(), '--print', '--schedule', '0 6 * * 1']);
    expect(r.exitCode).toBe(0);
    const [, cron] = (parseYamlDocuments(r.stdout, 'stdout') as Obj[]) as [Obj, Obj];
    expect(cron).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '0 6 * * 1', concurrencyPolicy: 'Forbid' } });
    expect(cron.metadata.labels['opsbook.dev/run-id']).toBeUndefined();
    const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.args).not.toContain('--run-id');
    expect(container.args).toEqual(expect.arrayContaining(['--run-id-from-job', '$(OPSBOOK_JOB_NAME)', '--resume-if-exists']));
    expect(container.env).toContainEqual({ name: 'OPSBOOK_JOB_NAME', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } });
    const notScheduled = await runCli(['run', fixture('submit.yaml'), '--run-id-from-job', 'by-hand', '--set', 'dir=/x']);
    expect(notScheduled.exitCode).toBe(2);
    expect(notScheduled.stderr).toMatch(/--run-id-from-job by-hand: not a scheduled Job's name \(<cronjob>-<unix minutes>/);
    const applied = await execa('kubectl', ['--kubeconfig', tmp.kubeconfig, 'apply', '--dry-run=server', '-f', '-'], { input: r.stdout, reject: false });
    expect(applied.exitCode, applied.stderr).toBe(0);
    const bad = await runCli(['submit', ...submitArgs(), '--print', '--schedule', 'every monday']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--schedule every monday: expected five cron fields/);
  }, 60_000);

  it('creates the ConfigMap and the Job, labelled with the run id it prints', async () => {
    const r = await runCli(['submit', ...submitArgs(), '--image', 'opsbook:dev']);
    expect(r.exitCode, r.stderr).toBe(0);
    const runId = r.stdout.trim();
    expect(runId).toMatch(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
    expect(r.stderr).toContain(`job.batch/opsbook-job-${runId} created in ops; follow with: opsbook logs ${runId} -f --state kubernetes://ops`);
    const jobs = await cluster.kube.list('batch/v1', 'Job', { namespace: 'ops', labelSelector: `opsbook.dev/run-id=${runId}` });
    expect(jobs.items.map((j) => j.metadata.name)).toEqual([`opsbook-job-${runId}`]);
    const cm = await cluster.kube.get<Obj>({ apiVersion: 'v1', kind: 'ConfigMap', name: `opsbook-job-${runId}`, namespace: 'ops' });
    expect(cm?.metadata.labels['opsbook.dev/run-id']).toBe(runId);
    expect(JSON.stringify(cm)).not.toContain('T0ken');
  }, 60_000);

  it('refuses, with exit 2 and nothing created, a missing namespace, Secret or key, missing rights, and a secret given inline', async () => {
    const before = (await jobsIn('ops')).length;
    const noNs = await runCli(['submit', fixture('submit.yaml'), '--namespace', 'nope', '--kubeconfig', tmp.kubeconfig, '--set', 'dir=/x', '--secret-from', 'token=tokens/token']);
    expect(noNs.exitCode).toBe(2);
    expect(noNs.stderr).toMatch(/namespace nope does not exist on https:\/\/.*kubectl create namespace nope/);

    const noSecret = await runCli(['submit', ...submitArgs(), '--target-kubeconfig-secret', 'missing-kube']);
    expect(noSecret.exitCode).toBe(2);
    expect(noSecret.stderr).toMatch(/Secret ops\/missing-kube \(the kubeconfig of the cluster the steps act on\) does not exist; create it first: kubectl -n ops create secret generic missing-kube --from-file=value=/);
    const noKey = await runCli(['submit', fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', tmp.kubeconfig, '--set', 'dir=/x', '--secret-from', 'token=tokens/other']);
    expect(noKey.exitCode).toBe(2);
    expect(noKey.stderr).toMatch(/Secret ops\/tokens \(secret input token\) has no key other \(it has: token\)/);

    const nobody = path.join(tmp.dir, 'nobody-kubeconfig');
    writeFileSync(nobody, cluster.sim.kubeconfig.replace(/token: .*/, 'token: nobody-token-0123'), { mode: 0o600 });
    const denied = await runCli(['submit', ...submitArgs().map((a) => (a === tmp.kubeconfig ? nobody : a))]);
    expect(denied.exitCode).toBe(2);
    expect(denied.stderr).toMatch(/User "nobody" cannot get resource "secrets".*Submitting needs, in namespace ops: .*deploy\/submit-rbac.yaml/);

    const inline = await runCli(['submit', fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', tmp.kubeconfig, '--set', 'dir=/x', '--set', 'token=T0ken-NEVER-inline']);
    expect(inline.exitCode).toBe(2);
    expect(inline.stderr).toMatch(/--set token=…: token is a secret and would be stored in plain text; use --secret-from token=SECRET\/KEY/);
    expect(inline.stderr).not.toContain('T0ken');
    const unnamed = await runCli(['submit', fixture('submit.yaml'), '--namespace', 'ops', '--kubeconfig', tmp.kubeconfig, '--set', 'dir=/x']);
    expect(unnamed.exitCode).toBe(2);
    expect(unnamed.stderr).toMatch(/secret input token is not given: pass --secret-from token=SECRET\/KEY/);
    expect((await jobsIn('ops')).length).toBe(before);
    expect((await cluster.kube.list('v1', 'ConfigMap', { namespace: 'nope' }).catch(() => ({ items: [] }))).items).toEqual([]);
  }, 90_000);
});
