// Round trip (issue 12): a runbook run by `opsbook run` and the same runbook exported to Argo, its tasks run one by one
// through `opsbook step run` by a stand-in for the Argo controller, end with the same step statuses and outputs.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import { runCli } from '../helpers/cli.js';
import { journalEvents, runIds } from '../cli/fixtures.js';
import { runWorkflow, toOpsbookStatus } from './argo-harness.js';
import { startSimulation, type Simulation } from '../../src/sim/index.js';
import { fleetIdIn, readFleetRecord, writeCombinedKubeconfig, writeFleet } from '../cli/fleet-helpers.js';

type Json = Record<string, any>;

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'opsbook-roundtrip-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'tok-3f9a61c2e7';

/** Each step's last status and outputs in the journal of run `runId` (default: the only run) in `stateDir`. */
function journaledSteps(stateDir: string, runId = runIds(stateDir)[0]): Record<string, { status: string; outputs: Record<string, unknown> }> {
  const steps: Record<string, { status: string; outputs: Record<string, unknown> }> = {};
  for (const e of journalEvents(stateDir, runId!)) if (e.type === 'step-end') steps[e.stepId as string] = { status: e.status as string, outputs: (e.outputs as Record<string, unknown>) ?? {} };
  return steps;
}

async function exportManifest(file: string, ...flags: string[]): Promise<Json> {
  const r = await runCli(['export', 'argo', file, ...flags]);
  expect(r.exitCode).toBe(0);
  return parseYamlDocuments(r.stdout)[0] as Json;
}

/** Runs `file` both ways; returns opsbook run's steps and the harness's, in the same shape. */
async function bothWays(file: string, options: { set?: Record<string, string>; approve?: string[]; env?: Record<string, string>; secrets?: Record<string, string> }) {
  const runState = path.join(dir, 'run-state');
  const argoState = path.join(dir, 'argo-state');
  const set = Object.entries(options.set ?? {}).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
  const approve = (options.approve ?? []).flatMap((id) => ['--approve', id]);
  const run = await runCli(['run', file, '--state-dir', runState, '--output', 'plain', ...set, ...approve], { env: options.env });
  const viaRun = journaledSteps(runState);
  const manifest = await exportManifest(file);
  const harness = await runWorkflow(manifest, { stateDir: argoState, parameters: options.set, secrets: options.secrets, resume: options.approve });
  const viaArgo: Record<string, { status: string; outputs: Record<string, unknown> }> = {};
  for (const task of manifest.spec.templates.find((t: Json) => t.name === 'runbook').dag.tasks) {
    const record = harness.tasks.get(task.name);
    viaArgo[task.name] = { status: toOpsbookStatus(record), outputs: record?.outputs ?? {} };
  }
  return { run, viaRun, viaArgo, harness, manifest };
}

/** Outputs of manual gates (who approved, when) differ by nature: a suspend node has none. */
function withoutGateOutputs(steps: Record<string, { status: string; outputs: Record<string, unknown> }>, gates: string[]) {
  return Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, gates.includes(id) ? { status: s.status, outputs: {} } : s]));
}

describe('round trip: opsbook run vs the exported Workflow run task by task', { timeout: 180_000 }, () => {
  it('retries, when, always, continueOnError, outputs, a secret and a gate agree', async () => {
    const runDir = path.join(dir, 'counter-run');
    const argoDir = path.join(dir, 'counter-argo');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(runDir);
    mkdirSync(argoDir);
    const file = 'test/fixtures/argo/roundtrip.yaml';
    // Each side gets its own counter directory; everything else is the same.
    const runSide = await runCli(['run', file, '--state-dir', path.join(dir, 'run-state'), '--output', 'plain', '--set', `dir=${runDir}`, '--approve', 'gate'], { env: { ROUNDTRIP_TOKEN: TOKEN } });
    expect(runSide.exitCode).toBe(0);
    const viaRun = journaledSteps(path.join(dir, 'run-state'));
    const manifest = await exportManifest(file);
    const harness = await runWorkflow(manifest, {
      stateDir: path.join(dir, 'argo-state'),
      parameters: { dir: argoDir },
      // The counter directory stands for storage outside the pods that every task reaches.
      sharedPaths: [argoDir],
      secrets: { 'roundtrip-secrets/token': TOKEN },
      resume: ['gate'],
    });
    const viaArgo = Object.fromEntries([...harness.tasks].map(([id, r]) => [id, { status: toOpsbookStatus(r), outputs: r.outputs }]));
    expect(withoutGateOutputs(viaArgo, ['gate'])).toEqual(withoutGateOutputs(viaRun, ['gate']));
    // what the comparison covers, spelled out
    expect(viaRun.flaky).toEqual({ status: 'succeeded', outputs: { attempts: '2' } });
    expect(harness.tasks.get('flaky')!.attempts).toBe(2); // Argo's retryStrategy did the retry (exit 3, then 0)
    expect(viaRun.never!.status).toBe('skipped');
    expect(viaRun['after-never']!.outputs).toEqual({ saw: 'skipped' });
    expect(viaRun.soft!.status).toBe('failed');
    expect(viaRun['after-soft']!.outputs).toEqual({ saw: 'failed' });
    expect(viaRun.consume!.outputs).toEqual({ sum: '44', phrase: 'alpha beta and more', 'token-length': String(TOKEN.length) });
    expect(viaRun.finally!.status).toBe('succeeded');
    // the secret reached the step through the environment, never through an argument
    expect(JSON.stringify(harness.invocations)).not.toContain(TOKEN);
  });

  it('a step that fails after its retries: dependants skipped, the always step runs, on both sides', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'a'));
    mkdirSync(path.join(dir, 'b'));
    const file = 'test/fixtures/argo/roundtrip-fail.yaml';
    const run = await runCli(['run', file, '--state-dir', path.join(dir, 'run-state'), '--output', 'plain', '--set', `dir=${path.join(dir, 'a')}`]);
    expect(run.exitCode).toBe(1);
    const viaRun = journaledSteps(path.join(dir, 'run-state'));
    const harness = await runWorkflow(await exportManifest(file), { stateDir: path.join(dir, 'argo-state'), parameters: { dir: path.join(dir, 'b') }, sharedPaths: [path.join(dir, 'b')] });
    const viaArgo = Object.fromEntries([...harness.tasks].map(([id, r]) => [id, { status: toOpsbookStatus(r), outputs: r.outputs }]));
    expect(viaArgo).toEqual(viaRun);
    expect(viaRun).toMatchObject({ start: { status: 'succeeded' }, broken: { status: 'failed' }, side: { status: 'succeeded' }, blocked: { status: 'skipped' }, cleanup: { status: 'succeeded' } });
    expect(harness.tasks.get('broken')!.attempts).toBe(2);
    expect(harness.tasks.get('blocked')!.phase).toBe('Omitted');
  });

  it('the bundled demo runbook agrees: its scratch directory is on the workspace, so the retried flaky step finds it (the directory differs by nature)', async () => {
    const { run, viaRun, viaArgo, harness, manifest } = await bothWays('runbooks/demo.yaml', {});
    expect(run.exitCode).toBe(0);
    const scrub = (steps: typeof viaRun) => ({ ...steps, prepare: { ...steps.prepare!, outputs: { dir: String(steps.prepare!.outputs.dir).replace(/^.*\/tmp\.\w+$/, 'tmp.X') } } });
    expect(scrub(viaArgo)).toEqual(scrub(viaRun));
    // mktemp -d in the pod: TMPDIR is the workspace (the image's /work, the harness's pod home), not the pod's own /tmp
    expect(viaArgo.prepare!.outputs.dir).toMatch(/\/opsbook-pod-home\/tmp\.\w+$/);
    expect(viaRun.report!.outputs).toEqual({});
    expect(harness.tasks.get('flaky')!.attempts).toBe(2);
    expect(Object.values(viaRun).map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // Without the workspace (the export before it had one) each pod's temp directory is its own: flaky never sees prepare's directory.
    const bare = structuredClone(manifest);
    for (const t of bare.spec.templates) {
      if (!t.container) continue;
      t.container.volumeMounts = t.container.volumeMounts.filter((m: Json) => m.name !== 'opsbook-workspace');
      t.container.env = t.container.env.filter((e: Json) => e.name !== 'TMPDIR' && e.name !== 'HOME');
    }
    const alone = await runWorkflow(bare, { stateDir: path.join(dir, 'bare-state') });
    expect(Object.fromEntries([...alone.tasks].map(([id, r]) => [id, toOpsbookStatus(r)]))).toEqual({ prepare: 'succeeded', greet: 'succeeded', flaky: 'failed', settle: 'skipped', report: 'skipped', cleanup: 'succeeded' });
    expect(alone.tasks.get('flaky')!.attempts).toBe(3);
  });

  it('a pod\'s files: under ~, the working directory and mktemp they reach the next task through the workspace; a literal /tmp path does not', async () => {
    const manifest = await exportManifest('test/fixtures/argo/handoff.yaml');
    const harness = await runWorkflow(manifest, { stateDir: path.join(dir, 'argo-state') });
    expect(toOpsbookStatus(harness.tasks.get('read'))).toBe('succeeded');
    expect(harness.tasks.get('read')!.outputs).toEqual({ home: 'home', cwd: 'cwd', tmp: 'tmp', pod: 'own' });
    // nothing a pod wrote under /tmp reached this machine's
    expect(existsSync('/tmp/opsbook-handoff-note')).toBe(false);
  });

  it('the bundled approve-csrs agrees against two identical simulated clusters (CSR names differ by nature)', async () => {
    const scenario = 'runbooks/scenarios/two-workers.yaml';
    const sims: Simulation[] = await Promise.all([startSimulation({ scenario, timeScale: 600 }), startSimulation({ scenario, timeScale: 600 })]);
    try {
      const file = 'runbooks/approve-csrs.yaml';
      const run = await runCli(['run', file, '--kubeconfig', sims[0]!.kubeconfigPath, '--state-dir', path.join(dir, 'run-state'), '--output', 'plain']);
      expect(run.exitCode).toBe(0);
      const viaRun = journaledSteps(path.join(dir, 'run-state'));
      // The kubeconfig Secret way (the in-cluster way is round-tripped in round-trip-bundled.test.ts).
      const harness = await runWorkflow(await exportManifest(file, '--kubeconfig-secret', 'opsbook-kubeconfig'), {
        stateDir: path.join(dir, 'argo-state'),
        kubeconfigs: { 'opsbook-kubeconfig': sims[1]!.kubeconfigPath },
      });
      const viaArgo = Object.fromEntries([...harness.tasks].map(([id, r]) => [id, { status: toOpsbookStatus(r), outputs: r.outputs }]));
      // A kubelet posts a new CSR whenever its last one waited too long, so names and how many differ between clusters.
      const scrub = (value: unknown): unknown =>
        Array.isArray(value) && value.every((v) => typeof v === 'string' && /^csr-\w+$/.test(v))
          ? value.length > 0 ? ['csr-…'] : []
          : value && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]))
            : value;
      expect(scrub(viaArgo)).toEqual(scrub(viaRun));
      expect(Object.keys(viaRun)).toEqual(['client-pending', 'approve-client', 'server-pending', 'approve-server', 'nodes-ready']);
      expect(viaRun['nodes-ready']).toEqual({ status: 'succeeded', outputs: { nodes: { 'worker-0': 'Ready', 'worker-1': 'Ready' }, ready: ['worker-0', 'worker-1'] } });
      // typed inputs reached each pod as workflow parameters (an array as JSON)
      expect(harness.invocations[0]).toEqual(expect.arrayContaining(['--set', 'nodes=["worker-0","worker-1"]', '--set', 'window=1h']));
    } finally {
      await Promise.all(sims.map((sim) => sim.stop()));
    }
  });

  it('a fleet: approve-csrs over two clusters in two waves with a gate, run --fleet vs the exported fan-out, cluster by cluster', async () => {
    const scenario = 'runbooks/scenarios/two-workers.yaml';
    const sims = await Promise.all(Array.from({ length: 4 }, () => startSimulation({ scenario, timeScale: 600 })));
    try {
      const kubeconfig = writeCombinedKubeconfig(path.join(dir, 'kubeconfig'), { c1: sims[0]!, c2: sims[1]! });
      const fleet = writeFleet(path.join(dir, 'fleet.yaml'), [{ name: 'c1', kubeconfig, context: 'c1' }, { name: 'c2', kubeconfig, context: 'c2' }], {
        strategy: '{ waves: [1, 100%], maxParallel: 2, pause: manual }',
      });
      const file = 'runbooks/approve-csrs.yaml';
      const stateDir = path.join(dir, 'run-state');
      const run = await runCli(['run', file, '--fleet', fleet, '--approve', 'wave-2', '--state-dir', stateDir, '--output', 'plain']);
      expect(run.exitCode).toBe(0);
      const record = readFleetRecord(stateDir, fleetIdIn(run.stdout));
      const exported = await runCli(['export', 'argo', file, '--fleet', fleet]);
      expect(exported.exitCode).toBe(0);
      const harness = await runWorkflow(parseYamlDocuments(exported.stdout)[0] as Json, {
        stateDir: path.join(dir, 'argo-state'),
        // the other two simulated clusters stand behind the Secrets c1-kubeconfig and c2-kubeconfig
        kubeconfigs: { 'c1-kubeconfig': sims[2]!.kubeconfigPath, 'c2-kubeconfig': sims[3]!.kubeconfigPath },
        resume: ['gate-wave-2'],
      });
      expect(harness.order).toEqual(['wave-1', ...Array(5).fill(expect.any(String)), 'gate-wave-2', 'wave-2', ...Array(5).fill(expect.any(String))]);
      const scrub = (value: unknown): unknown =>
        Array.isArray(value) && value.every((v) => typeof v === 'string' && /^csr-\w+$/.test(v))
          ? value.length > 0 ? ['csr-…'] : []
          : value && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]))
            : value;
      for (const cluster of ['c1', 'c2']) {
        const runId = record.clusters.find((c) => c.name === cluster)!.runId!;
        const viaRun = journaledSteps(stateDir, runId);
        const viaArgo = Object.fromEntries([...harness.items.get(cluster)!].map(([id, r]) => [id, { status: toOpsbookStatus(r), outputs: r.outputs }]));
        expect(scrub(viaArgo)).toEqual(scrub(viaRun));
        expect(viaRun['nodes-ready']!.status).toBe('succeeded');
      }
      // each cluster's pods got its own kubeconfig
      expect(harness.invocations.filter((args) => args.includes(sims[2]!.kubeconfigPath))).toHaveLength(5);
      expect(harness.invocations.filter((args) => args.includes(sims[3]!.kubeconfigPath))).toHaveLength(5);
    } finally {
      await Promise.all(sims.map((sim) => sim.stop()));
    }
  });
});
