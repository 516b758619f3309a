// Round trip (issue 12) for the bundled runbooks that need a simulated world: each rehearsed with `opsbook rehearse` on its
// scenario, and exported to Argo and run task by task through `opsbook step run` against a second, identical simulation.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/yaml/index.js';
import { startSimulation } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { journalEvents, runIds } from '../cli/fixtures.js';
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
async function rehearse(file: string, scenario: string, flags: string[] = []): Promise<Steps> {
  const stateDir = path.join(dir, 'rehearse-state');
  const r = await runCli(['rehearse', file, '--scenario', scenario, '--state-dir', stateDir, '--output', 'plain', ...flags], { timeout: 170_000 });
  expect(r.stderr).not.toContain('Error');
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  return journaledSteps(stateDir);
}

const inPod = await canRunInPod();

describe('round trip of the bundled runbooks on their scenarios: rehearse vs the exported Workflow task by task', { timeout: 300_000 }, () => {
  it.skipIf(!inPod)('post-install (image-registry-removed): the pods act on their own cluster as their service account, no kubeconfig anywhere', async () => {
    const file = 'runbooks/post-install.yaml';
    const scenario = 'runbooks/scenarios/image-registry-removed.yaml';
    const timeScale = 600;
    const [viaRehearse, sim] = await Promise.all([rehearse(file, scenario, ['--time-scale', String(timeScale)]), startSimulation({ scenario, timeScale })]);
    try {
      // What the kubelet mounts into a pod for its service account.
      const serviceAccountDir = path.join(dir, 'serviceaccount');
      mkdirSync(serviceAccountDir);
      writeFileSync(path.join(serviceAccountDir, 'token'), sim.adminToken);
      writeFileSync(path.join(serviceAccountDir, 'ca.crt'), sim.caPem);
      writeFileSync(path.join(serviceAccountDir, 'namespace'), 'argo\n');
      const manifest = await exportManifest(file, '--service-account', 'opsbook');
      expect(JSON.stringify(manifest)).not.toContain('kubeconfig');
      const harness = await runWorkflow(manifest, { stateDir: path.join(dir, 'argo-state'), inCluster: { host: '127.0.0.1', port: sim.port, serviceAccountDir } });
      const viaArgo = harnessSteps(harness);
      expect(withoutTimes(viaArgo)).toEqual(withoutTimes(viaRehearse));
      expect(Object.values(viaRehearse).map((s) => s.status)).toEqual(['succeeded', 'skipped', 'succeeded', 'succeeded']);
      // the second simulation's registry was configured by the pods
      expect(harness.invocations.every((args) => !args.includes('--kubeconfig'))).toBe(true);
      expect(sim.summary().operators.find((o) => o.name === 'image-registry')).toMatchObject({ available: 'True', degraded: 'False' });
    } finally {
      await sim.stop();
    }
  });
});
