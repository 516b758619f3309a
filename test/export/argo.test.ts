// `opsbook export argo`: each mapping of the issue checked on the manifest, the manifest against Argo's Workflow schema and the simulation's kubectl dry run.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workflow } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow';
import { WorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate';
import { exportArgoWorkflow, ExportRefused, type ArgoExportOptions, type ArgoFleet } from '../../src/export/index.js';
import { loadRunbookText } from '../../src/runbook/index.js';
import { createStepRegistry } from '../../src/steps/registry.js';
import { parseYamlDocuments, parseYamlWithPositions } from '../../src/yaml/index.js';
import type { Simulation } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { KUBECTL, startSim } from '../sim/helpers.js';

const fixture = (name: string) => `test/fixtures/argo/${name}`;

type Json = Record<string, any>;

function exportFile(file: string, options: { template?: boolean; fleet?: ArgoFleet; kubeconfigSecret?: string; serviceAccount?: string; workspace?: ArgoExportOptions['workspace'] } = {}): { manifest: Json; notes: string[] } {
  const text = readFileSync(file, 'utf8');
  const runbook = loadRunbookText(text, file, { registry: createStepRegistry() });
  const { fleet, ...rest } = options;
  const { manifest, notes } = exportArgoWorkflow(runbook, { image: 'opsbook:test', text, locate: parseYamlWithPositions(text, file).locate, ...rest }, fleet);
  return { manifest, notes: notes.map((n) => `${n.line}:${n.col}: ${n.path}: ${n.message}`) };
}

const task = (m: Json, id: string, template = 'runbook') => m.spec.templates.find((t: Json) => t.name === template).dag.tasks.find((t: Json) => t.name === id);
const template = (m: Json, name: string) => m.spec.templates.find((t: Json) => t.name === name);

describe('export argo mapping', () => {
  const { manifest: m, notes } = exportFile(fixture('mapping.yaml'));

  it('maps steps to DAG tasks, needs to depends, always and continueOnError', () => {
    expect(m.spec.entrypoint).toBe('runbook');
    expect(template(m, 'runbook').dag.tasks.map((t: Json) => t.name)).toEqual(['produce', 'optional', 'gate', 'consume', 'finally']);
    expect(task(m, 'produce').depends).toBeUndefined();
    expect(task(m, 'gate').depends).toBe('produce.Succeeded');
    // optional may fail (continueOnError): its dependants still run, and Argo does not fail the workflow for it
    expect(task(m, 'consume').depends).toBe('gate.Succeeded && (optional.Succeeded || optional.Failed)');
    expect(task(m, 'optional').continueOn).toEqual({ failed: true });
    expect(task(m, 'finally').depends).toBe('(consume.Succeeded || consume.Failed || consume.Errored || consume.Skipped || consume.Omitted)');
    expect(template(m, 'runbook').dag.failFast).toBe(false);
    expect(notes.some((n) => n.startsWith('32:15: spec.steps[4].always') && n.includes('failFast: false'))).toBe(true);
  });

  it('maps retry to retryStrategy (opsbook decides which failures retry: exit 3) and timeout to activeDeadlineSeconds', () => {
    expect(exportFile('runbooks/approve-csrs.yaml').notes).toContain(
      "57:14: spec.steps[0].retry: backoff jitter is not applied by Argo: it waits the full backoff (the longest opsbook would); a server's Retry-After is not honoured by Argo: it waits its backoff instead",
    );
    const produce = template(m, 'step-produce');
    expect(produce.retryStrategy).toEqual({
      limit: 3,
      retryPolicy: 'Always',
      expression: 'asInt(lastRetry.exitCode) == 3',
      backoff: { duration: '2s', cap: '20s', factor: 3, maxDuration: '5m' },
    });
    expect(produce.activeDeadlineSeconds).toBe(90 + 30);
    expect(produce.container.args).toContain('--single-attempt');
    expect(template(m, 'step-optional').retryStrategy).toBeUndefined();
  });

  it('maps deadline, concurrency, the lock, inputs and secret inputs', () => {
    expect(m.spec.activeDeadlineSeconds).toBe(600);
    expect(m.spec.parallelism).toBe(3);
    expect(m.spec.synchronization).toEqual({ mutexes: [{ name: 'opsbook-mapping-lock' }] });
    expect(m.spec.arguments.parameters).toEqual([{ name: 'who', value: 'world' }, { name: 'count', value: '2' }]);
    const consume = template(m, 'step-consume');
    expect(consume.container.env).toEqual([{ name: 'HOME', value: '/work' }, { name: 'TMPDIR', value: '/work' }, { name: 'MAPPING_TOKEN', valueFrom: { secretKeyRef: { name: 'mapping-secrets', key: 'token' } } }]);
    expect(consume.container.args).toEqual(expect.arrayContaining(['--set', 'who={{workflow.parameters.who}}', '--set', 'count={{workflow.parameters.count}}']));
    expect(JSON.stringify(m)).not.toContain('workflow.parameters.token');
  });

  it('turns a pause gate into a suspend template and passes outputs as parameters', () => {
    expect(template(m, 'gate-gate')).toEqual({ name: 'gate-gate', suspend: {} });
    expect(task(m, 'gate').template).toBe('gate-gate');
    expect(template(m, 'step-produce').outputs.parameters).toEqual([
      { name: 'status', valueFrom: { path: '/tmp/opsbook-out/status', default: 'failed' } },
      { name: 'value', valueFrom: { path: '/tmp/opsbook-out/outputs/value', default: '' } },
    ]);
    expect(task(m, 'consume').arguments.parameters).toEqual([{ name: 'out-produce-value', value: '{{tasks.produce.outputs.parameters.value}}' }]);
    expect(template(m, 'step-consume').container.args).toContain('--step-output=produce.value={{inputs.parameters.out-produce-value}}');
  });

  it('lets every pod act on the cluster it runs in as its service account (in-cluster), or through a kubeconfig Secret when given one', () => {
    const produce = template(m, 'step-produce');
    expect(produce.volumes).toBeUndefined();
    expect(produce.container.volumeMounts).toEqual([{ name: 'opsbook-workspace', mountPath: '/work' }]);
    expect(produce.container.args).not.toContain('--kubeconfig');
    expect(m.spec.serviceAccountName).toBeUndefined();
    const { manifest: sa } = exportFile(fixture('mapping.yaml'), { serviceAccount: 'opsbook-runner' });
    expect(sa.spec.serviceAccountName).toBe('opsbook-runner');
    expect(() => new Workflow(sa as never).validate()).not.toThrow();
    const { manifest: secret } = exportFile(fixture('mapping.yaml'), { kubeconfigSecret: 'prod-kubeconfig' });
    const mounted = template(secret, 'step-produce');
    expect(mounted.volumes).toEqual([{ name: 'kubeconfig', secret: { secretName: 'prod-kubeconfig' } }]);
    expect(mounted.container.volumeMounts).toEqual([{ name: 'opsbook-workspace', mountPath: '/work' }, { name: 'kubeconfig', mountPath: '/opsbook/kube', readOnly: true }]);
    expect(mounted.container.args).toEqual(expect.arrayContaining(['--kubeconfig', '/opsbook/kube/value']));
  });

  it.each(readdirSync('runbooks').filter((f) => f.endsWith('.yaml')))('exports the bundled runbooks/%s and passes the schema', (name) => {
    const { manifest } = exportFile(`runbooks/${name}`);
    expect(() => new Workflow(manifest as never).validate()).not.toThrow();
  });

  it('passes Argo\'s Workflow schema (and a WorkflowTemplate too)', () => {
    expect(() => new Workflow(m as never).validate()).not.toThrow();
    const { manifest: t } = exportFile(fixture('mapping.yaml'), { template: true });
    expect(t.kind).toBe('WorkflowTemplate');
    expect(t.metadata.name).toBe('mapping');
    expect(() => new WorkflowTemplate(t as never).validate()).not.toThrow();
    // The check can fail: a malformed manifest is refused by the same schema.
    const broken = structuredClone(m);
    template(broken, 'step-produce').retryStrategy.limit = 'three';
    template(broken, 'runbook').dag.tasks[0].depends = 7;
    expect(() => new Workflow(broken as never).validate()).toThrow(/depends|limit/);
  });

  it('fans a fleet out wave by wave with withItems, a gate between waves, a mutex and a kubeconfig Secret per cluster', () => {
    const { manifest: f } = exportFile(fixture('mapping.yaml'), { fleet: { name: 'smoke', waves: [['c1'], ['c2', 'c3']], maxParallel: 2, pause: { kind: 'manual' } } });
    expect(f.spec.entrypoint).toBe('fleet');
    const fleet = template(f, 'fleet');
    expect(fleet.parallelism).toBe(2);
    expect(fleet.dag.tasks.map((t: Json) => [t.name, t.depends, t.withItems])).toEqual([
      ['wave-1', undefined, ['c1']],
      ['gate-wave-2', 'wave-1.Succeeded', undefined],
      ['wave-2', 'gate-wave-2.Succeeded', ['c2', 'c3']],
    ]);
    expect(template(f, 'gate-wave-2').suspend).toEqual({});
    expect(template(f, 'runbook').parallelism).toBe(3);
    expect(f.spec.activeDeadlineSeconds).toBeUndefined();
    expect(template(f, 'runbook').synchronization).toEqual({ mutexes: [{ name: 'opsbook-mapping-lock-{{inputs.parameters.cluster}}' }] });
    const produce = template(f, 'step-produce');
    expect(produce.volumes).toEqual([{ name: 'kubeconfig', secret: { secretName: '{{inputs.parameters.cluster}}-kubeconfig' } }]);
    expect(produce.container.args).toEqual(expect.arrayContaining(['--kubeconfig', '/opsbook/kube/value']));
    expect(() => new Workflow(f as never).validate()).not.toThrow();
  });

  it('gives every pod the workflow\'s workspace claim at /work (HOME, working directory, TMPDIR); a fleet\'s clusters each in a directory of their own', () => {
    expect(m.spec.volumeClaimTemplates).toEqual([
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'opsbook-workspace' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    ]);
    expect(m.spec.securityContext).toEqual({ fsGroup: 10001 });
    for (const t of m.spec.templates.filter((t: Json) => t.container)) {
      expect(t.container.workingDir).toBe('/work');
      expect(t.container.volumeMounts[0]).toEqual({ name: 'opsbook-workspace', mountPath: '/work' });
    }
    const { manifest: sized } = exportFile(fixture('mapping.yaml'), { workspace: { size: '5Gi', storageClass: 'nfs', accessMode: 'ReadWriteMany' } });
    expect(sized.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'nfs' });
    expect(() => new Workflow(sized as never).validate()).not.toThrow();
    const fleet: ArgoFleet = { name: 'smoke', waves: [['c1', 'c2']], maxParallel: 2, pause: { kind: 'none' } };
    const { manifest: f, notes: fleetNotes } = exportFile(fixture('mapping.yaml'), { fleet });
    // one claim for the workflow, each cluster's pods on its own subPath: clusters running side by side never see each other's files
    expect(f.spec.volumeClaimTemplates).toHaveLength(1);
    expect(template(f, 'step-produce').container.volumeMounts[0]).toEqual({ name: 'opsbook-workspace', mountPath: '/work', subPath: '{{inputs.parameters.cluster}}' });
    expect(fleetNotes).toContainEqual(expect.stringContaining('each in its own directory of one ReadWriteOnce workspace'));
    expect(exportFile(fixture('mapping.yaml'), { fleet, workspace: { accessMode: 'ReadWriteMany' } }).notes.some((n) => n.includes('ReadWriteOnce workspace'))).toBe(false);
  });

  it('refuses what Argo cannot express, every problem at its file:line:col', () => {
    expect(() => exportFile(fixture('refused.yaml'))).toThrow(ExportRefused);
    try {
      exportFile(fixture('refused.yaml'));
    } catch (error) {
      const lines = (error as ExportRefused).diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.path}`);
      expect(lines.sort()).toEqual([
        'test/fixtures/argo/refused.yaml:13:61: spec.steps[0].retry.backoff.factor',
        'test/fixtures/argo/refused.yaml:17:13: spec.steps[1].when',
        'test/fixtures/argo/refused.yaml:20:19: spec.steps[2].env.ALL',
        'test/fixtures/argo/refused.yaml:20:50: spec.steps[2].env.WHO',
        'test/fixtures/argo/refused.yaml:22:11: spec.steps[3].id',
        'test/fixtures/argo/refused.yaml:7:10: spec.inputs.key',
      ]);
    }
  });

  it('refuses a read of a task that may not have run (Argo cannot resolve its parameters) and a relative workingDirectory', () => {
    const lines = (() => {
      try {
        exportFile(fixture('refused-always.yaml'));
        return [];
      } catch (error) {
        return (error as ExportRefused).diagnostics.map((d) => `${d.line}:${d.col}: ${d.path}: ${d.message}`);
      }
    })();
    expect(lines.map((l) => l.split(': ').slice(0, 2).join(': ')).sort()).toEqual([
      '17:101: spec.steps[2].env.SAW',
      '17:59: spec.steps[2].env.COUNT',
      '21:21: spec.steps[3].env.COUNT',
      '25:25: spec.steps[4].workingDirectory',
    ]);
    // the always step reading the root (which always starts) is not refused, nor is the step after it reading the root
    expect(lines.join('\n')).not.toMatch(/env\.DIR/);
    expect(lines.find((l) => l.includes('steps[2].env.COUNT'))).toContain('middle may not have run when cleanup starts (cleanup is `always`)');
    expect(lines.find((l) => l.includes('steps[3].env.COUNT'))).toContain('an `always` step lies between them');
    expect(lines.find((l) => l.includes('workingDirectory'))).toContain('use an absolute path inside the image');
  });

  it('refuses gate policies a suspend node cannot enforce; onTimeout: approve becomes the suspend duration, notify a note', () => {
    const lines = (() => {
      try {
        exportFile(fixture('refused-gates.yaml'));
        return [];
      } catch (error) {
        return (error as ExportRefused).diagnostics.map((d) => `${d.line}:${d.col}: ${d.path}: ${d.message}`);
      }
    })();
    expect(lines.map((l) => l.split(': ').slice(0, 2).join(': '))).toEqual(['9:40: spec.steps[0].with.approvals', '12:40: spec.steps[1].with.approvers', '15:38: spec.steps[2].with.timeout']);
    expect(lines[0]).toContain('cannot wait for more than one approver');
    expect(lines[2]).toContain('use onTimeout: approve');
    const text = readFileSync(fixture('refused-gates.yaml'), 'utf8').replace(/    - id: two-people[\s\S]*?(?=    - id: approves-late)/, '');
    const runbook = loadRunbookText(text, 'gates.yaml', { registry: createStepRegistry() });
    const { manifest, notes } = exportArgoWorkflow(runbook, { image: 'opsbook:test', text, locate: parseYamlWithPositions(text, 'gates.yaml').locate });
    expect(template(manifest as Json, 'gate-approves-late').suspend).toEqual({ duration: '1800s' });
    expect(notes.some((n) => n.path === 'spec.steps[0].with.notify' && n.message.includes('the webhook is not called'))).toBe(true);
    expect(() => new Workflow(manifest as never).validate()).not.toThrow();
  });

  it('keeps what has an Argo field (description, enum) and notes what the pods do not read (a non-secret fromEnv, the Lease)', () => {
    const text = readFileSync(fixture('refused-always.yaml'), 'utf8').replace(/\n    - id: cleanup[\s\S]*?(?=\n    - id: there)/, '');
    const runbook = loadRunbookText(text, 'x.yaml', { registry: createStepRegistry() });
    const { manifest, notes } = exportArgoWorkflow(runbook, { image: 'opsbook:test', text, locate: parseYamlWithPositions(text, 'x.yaml').locate });
    expect((manifest.metadata as Json).annotations['workflows.argoproj.io/description']).toBe('reads after a failure');
    expect((manifest.spec as Json).arguments.parameters).toEqual([{ name: 'mode', value: 'fast', enum: ['fast', 'slow'] }]);
    expect(notes.map((n) => `${n.path}: ${n.message}`)).toContain("spec.inputs.mode: mode's fromEnv MODE is not read in the pods: every pod gets the workflow parameter mode (its default unless given at submit)");
    expect(() => new Workflow(manifest as never).validate()).not.toThrow();
    expect(exportFile(fixture('mapping.yaml')).notes.some((n) => n.includes('the Lease kube-system/mapping-lock is not taken'))).toBe(true);
    // a file one task writes reaches the next task's pod through the workspace only under ~ or /work: a computed path is noted
    expect(exportFile('runbooks/renew-control-plane-certs.yaml').notes).toContainEqual(
      expect.stringMatching(/^168:21: spec\.steps\[5\]\.with\.kubeconfig: reads steps\.refresh-kubeconfig\.outputs\.path, a file refresh-kubeconfig \(write-kubeconfig\) writes in its own pod: it reaches restart-etcd-defrag through the workspace volume only if the path lies under ~ or \/work/),
    );
    // … a literal one under ~ is not
    const literal = readFileSync('runbooks/renew-control-plane-certs.yaml', 'utf8').replace('path: ${{ inputs.workstationKubeconfig }}', 'path: ~/cluster1/kubeconfig');
    const literalRunbook = loadRunbookText(literal, 'renew.yaml', { registry: createStepRegistry() });
    const literalNotes = exportArgoWorkflow(literalRunbook, { image: 'opsbook:test', text: literal, locate: parseYamlWithPositions(literal, 'renew.yaml').locate }).notes;
    expect(literalNotes.some((n) => n.message.includes('refresh-kubeconfig (write-kubeconfig)'))).toBe(false);
  });
});

describe('export argo (CLI)', { timeout: 60_000 }, () => {
  it('prints the manifest on stdout, notes on stderr; refusals exit 2', async () => {
    const ok = await runCli(['export', 'argo', fixture('mapping.yaml'), '--image', 'registry.example/opsbook:1', '--namespace', 'ops']);
    expect(ok.exitCode).toBe(0);
    const [doc] = parseYamlDocuments(ok.stdout) as Json[];
    expect(doc!.metadata.namespace).toBe('ops');
    expect(template(doc!, 'step-produce').container.image).toBe('registry.example/opsbook:1');
    expect(ok.stderr).toContain('mapping.yaml:21:7: spec.steps[2]: note: manual gate gate');
    const badName = await runCli(['export', 'argo', fixture('mapping.yaml'), '--service-account', 'Not_A_Name']);
    expect(badName.exitCode).toBe(2);
    expect(badName.stderr).toContain('--service-account Not_A_Name: not a Kubernetes object name');
    const badSize = await runCli(['export', 'argo', fixture('mapping.yaml'), '--workspace-size', 'lots']);
    expect(badSize.exitCode).toBe(2);
    expect(badSize.stderr).toContain('--workspace-size lots: not a Kubernetes quantity');
    const refused = await runCli(['export', 'argo', fixture('refused.yaml')]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('refused.yaml:13:61: spec.steps[0].retry.backoff.factor: backoff factor 1.5');
  });

  it('reads a fleet file: waves and the gate from its strategy; a failure budget and per-cluster inputs refused at file:line:col', async () => {
    const r = await runCli(['export', 'argo', fixture('mapping.yaml'), '--fleet', fixture('fleet.yaml')]);
    expect(r.exitCode).toBe(0);
    const [doc] = parseYamlDocuments(r.stdout) as Json[];
    expect(template(doc!, 'fleet').dag.tasks.map((t: Json) => t.name)).toEqual(['wave-1', 'gate-wave-2', 'wave-2']);
    const refused = await runCli(['export', 'argo', fixture('mapping.yaml'), '--fleet', fixture('fleet-refused.yaml')]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('fleet-refused.yaml:9:33: spec.strategy.maxFailures: Argo stops a wave\'s successors on any failed cluster');
    expect(refused.stderr).toContain('fleet-refused.yaml:7:7: cluster c1: per-cluster inputs are not exported');
  });
});


describe.skipIf(!existsSync(KUBECTL))('export argo | kubectl --dry-run=server against the simulation', { timeout: 60_000 }, () => {
  let sim: Simulation;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => sim.stop());

  const kubectl = (args: string[], input: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, ...args], (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });

  it('the simulated cluster accepts the Workflow (create: it has a generateName) and the WorkflowTemplate (apply)', async () => {
    const wf = await runCli(['export', 'argo', 'runbooks/demo.yaml', '--namespace', 'default', '--service-account', 'opsbook-runner', '--workspace-size', '2Gi', '--workspace-storage-class', 'standard', '--workspace-access-mode', 'ReadWriteMany']);
    expect((parseYamlDocuments(wf.stdout)[0] as Json).spec.volumeClaimTemplates[0].spec.storageClassName).toBe('standard');
    const created = await kubectl(['create', '--dry-run=server', '-f', '-', '-o', 'name'], wf.stdout);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^workflow\.argoproj\.io\/demo-\w+/);
    const secret = await runCli(['export', 'argo', 'runbooks/approve-csrs.yaml', '--namespace', 'default', '--kubeconfig-secret', 'prod-kubeconfig']);
    const withSecret = await kubectl(['create', '--dry-run=server', '-f', '-', '-o', 'name'], secret.stdout);
    expect(withSecret.stderr).toBe('');
    expect(withSecret.stdout).toMatch(/^workflow\.argoproj\.io\/approve-csrs-\w+/);
    const fleet = await runCli(['export', 'argo', fixture('mapping.yaml'), '--fleet', fixture('fleet.yaml'), '--namespace', 'default']);
    const fleetCreated = await kubectl(['create', '--dry-run=server', '-f', '-', '-o', 'name'], fleet.stdout);
    expect(fleetCreated.stderr).toBe('');
    expect(fleetCreated.stdout).toMatch(/^workflow\.argoproj\.io\/mapping-\w+/);
    const tpl = await runCli(['export', 'argo', 'runbooks/demo.yaml', '--template', '--namespace', 'default']);
    const applied = await kubectl(['apply', '--dry-run=server', '-f', '-'], tpl.stdout);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('workflowtemplate.argoproj.io/demo created (server dry run)');
    // a dry run stores nothing
    const list = await kubectl(['get', 'workflowtemplates', '-A', '-o', 'name'], '');
    expect(list.stdout).toBe('');
  });
});
