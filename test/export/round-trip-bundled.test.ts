// Round trip (issue 12) for the bundled runbooks that need a simulated world: each rehearsed with `opsbook rehearse` on its
// scenario, and exported to Argo and run task by task through `opsbook step run` against a second, identical simulation.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import { loadScenario, startSimulation } from '../../src/sim/index.js';
import { loadRunbookText } from '../../src/runbook/index.js';
import { createStepRegistry } from '../../src/steps/registry.js';
import { readFileSync, readdirSync } from 'node:fs';
import { execa } from 'execa';
import { KUBECTL } from '../sim/helpers.js';
import { runCli, startCli } from '../helpers/cli.js';
import { journalEvents, journalText, runIds } from '../cli/fixtures.js';
import { canRunInPod, runWorkflow, toOpsbookStatus, type HarnessResult } from './argo-harness.js';

type Json = Record<string, any>;
type Steps = Record<string, { status: string; outputs: Record<string, unknown> }>;

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'opsbook-roundtrip-bundled-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Each step's last status and outputs in the only run journaled in `stateDir`. */
function journaledSteps(stateDir: string): Steps {
  const steps: Steps = {};
  for (const e of journalEvents(stateDir, runIds(stateDir)[0]!)) if (e.type === 'step-end') steps[e.stepId as string] = { status: e.status as string, outputs: (e.outputs as Record<string, unknown>) ?? {} };
  return steps;
}

/** Times differ by nature between two simulations started apart (conditions' `since`, timestamps): each becomes `<time>`. */
function withoutTimes(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>');
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutTimes(v)]));
  return value;
}

function harnessSteps(harness: HarnessResult): Steps {
  return Object.fromEntries([...harness.tasks].map(([id, r]) => [id, { status: toOpsbookStatus(r), outputs: r.outputs }]));
}

async function exportManifest(file: string, ...flags: string[]): Promise<Json> {
  const r = await runCli(['export', 'argo', file, ...flags]);
  expect(r.stderr).not.toMatch(/refused|cannot export/);
  expect(r.exitCode).toBe(0);
  return parseYamlDocuments(r.stdout)[0] as Json;
}

/** `opsbook rehearse` of the pairing, its journal kept. */
async function rehearse(file: string, scenario: string, flags: string[] = [], exitCode = 0): Promise<Steps> {
  const stateDir = path.join(dir, 'rehearse-state');
  const r = await runCli(['rehearse', file, '--scenario', scenario, '--state-dir', stateDir, '--output', 'plain', ...flags], { timeout: 170_000 });
  expect(r.stderr).not.toContain('Error');
  expect(r.exitCode, r.stdout + r.stderr).toBe(exitCode);
  return journaledSteps(stateDir);
}

const inPod = await canRunInPod();

/** What post-install's service account is granted (a real installation would scope it down). */
const RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: opsbook-post-install }
rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: opsbook-post-install }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: opsbook-post-install }
subjects: [{ kind: ServiceAccount, name: opsbook, namespace: argo }]
`;

async function kubectl(kubeconfig: string, args: string[], input: string): Promise<void> {
  const r = await execa(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { input, reject: false });
  expect(r.stderr).toBe('');
}

/**
 * The pairing both ways: `opsbook rehearse` on one simulation; `sim serve --connection-out` of the same scenario and the
 * exported Workflow task by task, each task's `step run --rehearsal` on it; the scenario's inputs as workflow parameters and
 * its stand-in secrets as the Secret the pods read them from (what `rehearse` gives its run).
 */
async function bothWays(file: string, scenarioFile: string, options: { timeScale: number; approve?: string[]; expectFailure?: boolean }) {
  const approve = options.approve ?? [];
  const rehearsed = rehearse(file, scenarioFile, ['--time-scale', String(options.timeScale), ...approve.flatMap((id) => ['--approve', id])], options.expectFailure ? 1 : 0);
  const connectionFile = path.join(dir, 'connection.json');
  const serve = startCli(['sim', 'serve', '--scenario', scenarioFile, '--time-scale', String(options.timeScale), '--connection-out', connectionFile], { timeout: 290_000 });
  try {
    await serve.waitForOutput('listening on');
    const scenario = await loadScenario(scenarioFile);
    const runbook = loadRunbookText(readFileSync(file, 'utf8'), file, { registry: createStepRegistry() });
    const parameters: Record<string, string> = {};
    const secrets: Record<string, string> = {};
    for (const input of Object.values(runbook.inputs)) {
      const value = scenario.inputs[input.name];
      if (input.type === 'secret') {
        if (input.fromEnv !== undefined && scenario.secrets[input.fromEnv] !== undefined) secrets[`${runbook.metadata.name}-secrets/${input.name}`] = scenario.secrets[input.fromEnv]!;
      } else if (value !== undefined) parameters[input.name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    const manifest = await exportManifest(file);
    const harness = await runWorkflow(manifest, { stateDir: path.join(dir, 'argo-state'), parameters, secrets, resume: approve, extraArgs: ['--rehearsal', connectionFile] });
    return { viaRehearse: await rehearsed, viaArgo: harnessSteps(harness), harness };
  } finally {
    serve.kill('SIGTERM');
    await serve.result;
    await rehearsed.catch(() => undefined);
  }
}

/** Where each bundled runbook's round trip lives, and on which scenario (the one runbooks/rehearsals/bundled.yaml pairs it with). */
const COVERED: Record<string, { test: string; scenarios?: string[] }> = {
  'demo.yaml': { test: 'round-trip.test.ts' },
  'cert-expiry.yaml': { test: 'round-trip-bundled.test.ts', scenarios: ['scenarios/certs-valid.yaml', 'scenarios/cert-expiring.yaml'] },
  'approve-csrs.yaml': { test: 'round-trip.test.ts', scenarios: ['scenarios/two-workers.yaml'] },
  'post-install.yaml': { test: 'round-trip-bundled.test.ts', scenarios: ['scenarios/image-registry-removed.yaml'] },
  'renew-control-plane-certs.yaml': { test: 'round-trip-bundled.test.ts', scenarios: ['scenarios/expired-control-plane.yaml'] },
  'add-sno-worker.yaml': { test: 'round-trip-bundled.test.ts', scenarios: ['scenarios/sno-add-worker.yaml'] },
};

describe('every bundled runbook has a round trip', () => {
  it('on the scenario its rehearsal uses (a new bundled runbook fails here until it gets one)', () => {
    expect(readdirSync('runbooks').filter((f) => f.endsWith('.yaml')).sort()).toEqual(Object.keys(COVERED).sort());
    const pairings = (parseYamlDocuments(readFileSync('runbooks/rehearsals/bundled.yaml', 'utf8'))[0] as Json).rehearsals as { runbook: string; scenario: string }[];
    for (const [runbook, { scenarios }] of Object.entries(COVERED)) {
      for (const scenario of scenarios ?? []) expect(pairings.filter((p) => p.runbook === runbook).map((p) => p.scenario)).toContain(scenario);
    }
  });
});

describe('round trip of the bundled runbooks on their scenarios: rehearse vs the exported Workflow task by task', { timeout: 300_000 }, () => {
  it.skipIf(!inPod)('post-install (image-registry-removed): the pods act on their own cluster as their service account (its RBAC, no kubeconfig anywhere)', async () => {
    const file = 'runbooks/post-install.yaml';
    // The pairing's scenario, plus the token the cluster issued to service account argo/opsbook (what the kubelet mounts).
    const token = 'sa-opsbook-7d1e94c2b5';
    const scenario = path.join(dir, 'image-registry-removed.yaml');
    writeFileSync(scenario, `${readFileSync('runbooks/scenarios/image-registry-removed.yaml', 'utf8')}\nusers:\n  - { name: "system:serviceaccount:argo:opsbook", token: ${token}, groups: [system:serviceaccounts, "system:serviceaccounts:argo"] }\n`);
    const timeScale = 600;
    const [viaRehearse, sim] = await Promise.all([rehearse(file, scenario, ['--time-scale', String(timeScale)]), startSimulation({ scenario, timeScale })]);
    try {
      const serviceAccountDir = path.join(dir, 'serviceaccount');
      mkdirSync(serviceAccountDir);
      writeFileSync(path.join(serviceAccountDir, 'token'), token);
      writeFileSync(path.join(serviceAccountDir, 'ca.crt'), sim.caPem);
      writeFileSync(path.join(serviceAccountDir, 'namespace'), 'argo\n');
      const manifest = await exportManifest(file, '--service-account', 'opsbook');
      expect(manifest.spec.serviceAccountName).toBe('opsbook');
      expect(JSON.stringify(manifest)).not.toContain('kubeconfig');
      const pod = { host: '127.0.0.1', port: sim.port, serviceAccountDir };
      // Before the service account is granted anything, the first task's pod is refused: it is that identity, not an admin.
      const refused = await runWorkflow(manifest, { stateDir: path.join(dir, 'refused-state'), inCluster: pod });
      expect(toOpsbookStatus(refused.tasks.get('operators'))).toBe('failed');
      expect(journalText(path.join(dir, 'refused-state'), runIds(path.join(dir, 'refused-state'))[0]!)).toContain('system:serviceaccount:argo:opsbook');
      await kubectl(sim.kubeconfigPath, ['apply', '-f', '-'], RBAC);
      const harness = await runWorkflow(manifest, { stateDir: path.join(dir, 'argo-state'), inCluster: pod });
      const viaArgo = harnessSteps(harness);
      expect(withoutTimes(viaArgo)).toEqual(withoutTimes(viaRehearse));
      expect(Object.values(viaRehearse).map((s) => s.status)).toEqual(['succeeded', 'skipped', 'succeeded', 'succeeded']);
      expect(harness.invocations.every((args) => !args.includes('--kubeconfig'))).toBe(true);
      // the second simulation's registry was configured by the pods
      expect(sim.summary().operators.find((o) => o.name === 'image-registry')).toMatchObject({ available: 'True', degraded: 'False' });
    } finally {
      await sim.stop();
    }
  });

  it('renew-control-plane-certs (expired-control-plane): node steps reach the served simulation\'s nodes; ~ (its scratch home) is the workspace, so the kubeconfig refresh-kubeconfig writes reaches restart-etcd-defrag\'s pod', async () => {
    const { viaRehearse, viaArgo } = await bothWays('runbooks/renew-control-plane-certs.yaml', 'runbooks/scenarios/expired-control-plane.yaml', { timeScale: 1 });
    expect(Object.keys(viaRehearse)).toEqual(['check-expiry', 'renew', 'check-api', 'kubeconfig-secret', 'refresh-kubeconfig', 'restart-etcd-defrag', 'check-kubelet']);
    expect(Object.values(viaRehearse).every((s) => s.status === 'succeeded')).toBe(true);
    expect(normalise(viaArgo)).toEqual(normalise(viaRehearse));
  });

  it('add-sno-worker (sno-add-worker): the Assisted Installer and SSO reached as their real hosts, answered by the served simulation', async () => {
    const { viaRehearse, viaArgo } = await bothWays('runbooks/add-sno-worker.yaml', 'runbooks/scenarios/sno-add-worker.yaml', { timeScale: 120, approve: ['boot-host'] });
    expect(Object.values(viaRehearse).every((s) => s.status === 'succeeded')).toBe(true);
    expect(normalise(viaArgo, ['boot-host'])).toEqual(normalise(viaRehearse, ['boot-host']));
  });

  it('cert-expiry (certs-valid): nothing expiring, the check passes and notify and expiring are skipped on both sides', async () => {
    const { viaRehearse, viaArgo, harness } = await bothWays('runbooks/cert-expiry.yaml', 'runbooks/scenarios/certs-valid.yaml', { timeScale: 1 });
    expect(Object.fromEntries(Object.entries(viaRehearse).map(([id, s]) => [id, s.status]))).toEqual({ check: 'succeeded', notify: 'skipped', expiring: 'skipped' });
    expect(normalise(viaArgo)).toEqual(normalise(viaRehearse));
    expect(harness.tasks.get('check')!.phase).toBe('Succeeded');
  });

  it('cert-expiry (cert-expiring): the weekly check fails naming the expiring certificates on both sides', async () => {
    const { viaRehearse, viaArgo, harness } = await bothWays('runbooks/cert-expiry.yaml', 'runbooks/scenarios/cert-expiring.yaml', { timeScale: 1, expectFailure: true });
    expect(Object.fromEntries(Object.entries(viaRehearse).map(([id, s]) => [id, s.status]))).toEqual({ check: 'succeeded', notify: 'skipped', expiring: 'failed' });
    expect(normalise(viaArgo)).toEqual(normalise(viaRehearse));
    expect(harness.tasks.get('expiring')!.phase).toBe('Failed');
  });
});

/** What differs between two simulations by nature, each replaced by a placeholder; a gate's outputs (who, when) are a suspend node's none. */
function normalise(steps: Steps, gates: string[] = []): unknown {
  const scrubbed = Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, gates.includes(id) ? { status: s.status, outputs: {} } : s]));
  const walk = (value: unknown, key?: string): unknown => {
    // Generated by the server each time.
    if (key === 'uid') return '<uid>';
    // Time left until a certificate expires, measured when the step looked.
    if (key === 'residualMs') return typeof value === 'number' ? Math.sign(value) : value;
    // Random certificate serials, and the hash of a kubeconfig holding fresh certificates.
    if (key !== undefined && /serial$/i.test(key)) return '<serial>';
    if (key === 'sha256') return '<sha256>';
    // How long an API server took to answer /readyz after its restart.
    if (key === 'readyAfterMs') return '<ms>';
    // How often a wait polled: each task's process start costs simulated minutes at 120×, so the story is further along when it begins.
    if (key === 'polls') return '<n>';
    // A kubelet posts a new CSR whenever its last one waited too long, so names and how many differ between clusters.
    if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && /^csr-\w+$/.test(v))) return ['csr-…'];
    if (typeof value === 'string') {
      return value
        // Each simulation's scratch directory (its nodes' root filesystems and the workstation home).
        .replace(/\/tmp\/opsbook-sim-nodes-\w+/g, '<sim>')
        // A timestamped backup name, and a renewed certificate's expiry (a year from the minute it was issued).
        .replace(/\d{8}T\d{6}Z/g, '<time>')
        .replace(/^[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC$/, '<time>')
        // Ids the Assisted Installer generates (cluster, infra-env, host).
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
        // Each simulation's ports.
        .replace(/https:\/\/127\.0\.0\.1:\d+/g, 'https://127.0.0.1:<port>')
        // kubectl's AGE column: how long ago the simulation started (and so the table's column widths).
        .replace(/(Ready|NotReady)(\s+\S+\s+)\d+[smhd](\d+[smh])?(\s+v\d)/g, '$1$2<age>$4')
        .replace(/ {2,}/g, ' ');
    }
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  return withoutTimes(walk(scrubbed));
}
