// plan --fleet through the CLI: --offline (no kubeconfig read, previews reported as offline, the rollout's worst case),
// live previews grouped across identical clusters with an unreachable one reported as such, and sim serve --clusters.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, startCli } from '../helpers/cli.js';

const RUNBOOK = path.join(repoRoot, 'runbooks/approve-csrs.yaml');
const REHEARSAL_FLEET = path.join(repoRoot, 'runbooks/fleets/rehearsal.yaml');
const TWO_WORKERS = path.join(repoRoot, 'runbooks/scenarios/two-workers.yaml');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleet-plan-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface PlanJson {
  offline: boolean;
  waves: Array<{ id: string; clusters: string[] }>;
  groups: Array<{ clusters: string[]; unreachable?: string; previews: Array<{ step: string; summary?: string }> }>;
  rollout: { worstCaseMs: number; waves: Array<{ wave: number; worstCaseMs: number }> };
  deadlineMs?: number;
}

describe('plan --fleet', () => {
  it('--offline: the waves, every cluster without previews in one group, and the rollout against the deadline', async () => {
    const r = await runCli(['plan', RUNBOOK, '--fleet', REHEARSAL_FLEET, '--offline', '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout) as PlanJson;
    expect(plan.offline).toBe(true);
    expect(plan.waves.map((w) => w.clusters.length)).toEqual([1, 4, 5]);
    expect(plan.groups).toEqual([expect.objectContaining({ clusters: plan.waves.flatMap((w) => w.clusters), unreachable: 'offline (--offline)', previews: [] })]);
    // Each cluster is cut off at the runbook's 1h deadline; 3 at a time: 1h + 2h + 2h.
    expect(plan.deadlineMs).toBe(3_600_000);
    expect(plan.rollout.waves.map((w) => w.worstCaseMs)).toEqual([3_600_000, 7_200_000, 7_200_000]);
    expect(plan.rollout.worstCaseMs).toBe(18_000_000);
    const text = await runCli(['plan', RUNBOOK, '--fleet', REHEARSAL_FLEET, '--offline']);
    expect(text.stdout).toContain('10 clusters: no preview: offline (--offline)');
    expect(text.stdout).toMatch(/whole rollout: 5h/);
  });

  it('--offline without a fleet is a usage error', async () => {
    const r = await runCli(['plan', RUNBOOK, '--offline']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--offline');
  });

  it('reads every cluster of sim serve --clusters, groups identical previews, and reports an unreachable cluster without failing', async () => {
    const kubeconfig = path.join(dir, 'kubeconfig');
    const sims = startCli(['sim', 'serve', '--scenario', TWO_WORKERS, '--clusters', '3', '--kubeconfig-out', kubeconfig], { timeout: 120_000 });
    try {
      await sims.waitForOutput(/\(sim-3\)\n/);
      // One context per cluster; a fourth pointing at a closed port.
      const text = readFileSync(kubeconfig, 'utf8');
      expect(text.match(/user: sim-\d-admin/g)).toEqual(['user: sim-1-admin', 'user: sim-2-admin', 'user: sim-3-admin']);
      expect(text).toContain('current-context: sim-1');
      const fleet = path.join(dir, 'fleet.yaml');
      const dead = path.join(dir, 'dead-kubeconfig');
      writeFileSync(dead, text.replace(/server: https:\/\/127\.0\.0\.1:\d+/g, 'server: https://127.0.0.1:1'), { mode: 0o600 });
      writeFileSync(
        fleet,
        [
          'apiVersion: opsbook.dev/v1',
          'kind: Fleet',
          'metadata: { name: sims }',
          'spec:',
          '  clusters:',
          ...['sim-1', 'sim-2', 'sim-3'].map((n) => `    - { name: ${n}, kubeconfig: ${kubeconfig}, context: ${n} }`),
          `    - { name: gone, kubeconfig: ${dead}, context: sim-1 }`,
          '  strategy: { waves: [1, 100%], maxParallel: 2 }',
          '',
        ].join('\n'),
      );
      const r = await runCli(['plan', RUNBOOK, '--fleet', fleet, '--output', 'json'], { timeout: 90_000 });
      expect(r.exitCode).toBe(0);
      const plan = JSON.parse(r.stdout) as PlanJson;
      expect(plan.offline).toBe(false);
      expect(plan.groups.map((g) => g.clusters)).toEqual([['sim-1', 'sim-2', 'sim-3'], ['gone']]);
      expect(plan.groups[0]!.previews.find((p) => p.step === 'approve-client')!.summary).toMatch(/would approve \d client CSR/);
      expect(plan.groups[1]!.unreachable).toMatch(/^unreachable: /);
    } finally {
      sims.kill('SIGTERM');
      const result = await sims.result;
      expect(result.stdout).toMatch(/^stopped; \d+ requests on 3 clusters$/m);
    }
  });
});
