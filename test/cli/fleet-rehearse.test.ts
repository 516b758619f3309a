// rehearse --fleet / --clusters through the CLI: the bundled fleet scenario on the bundled rehearsal fleet (canary, then
// waves, the budget stopping the rollout when the share refusing CSR approvals fails), sim-1 … sim-N (CSRs, and
// control-plane certificates on each cluster's own simulated nodes), and usage errors.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';

const RUNBOOK = path.join(repoRoot, 'runbooks/approve-csrs.yaml');
const FLEET_SCENARIO = path.join(repoRoot, 'runbooks/scenarios/fleet-two-workers.yaml');
const REHEARSAL_FLEET = path.join(repoRoot, 'runbooks/fleets/rehearsal.yaml');

interface JsonLine {
  type?: string;
  cluster?: string;
  [key: string]: unknown;
}
const lines = (stdout: string): JsonLine[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as JsonLine);

describe('rehearse a fleet', () => {
  it('rehearses the bundled fleet: the canary succeeds, wave 2 meets the failing share, the budget stops the rollout before wave 3', async () => {
    const r = await runCli(['rehearse', RUNBOOK, '--scenario', FLEET_SCENARIO, '--fleet', REHEARSAL_FLEET, '--time-scale', '300', '--output', 'json'], { timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(1);
    const events = lines(r.stdout);
    const ends = events.filter((e) => e.type === 'cluster-end');
    expect(ends.map((e) => [e.cluster, e.status])).toEqual(
      expect.arrayContaining([
        ['canary', 'succeeded'],
        ['us-1', 'failed'],
      ]),
    );
    // The canary ran alone, before any other cluster started.
    const starts = events.filter((e) => e.type === 'cluster-start').map((e) => e.cluster);
    expect(starts[0]).toBe('canary');
    expect(events.findIndex((e) => e.type === 'cluster-end' && e.cluster === 'canary')).toBeLessThan(events.findIndex((e) => e.type === 'cluster-start' && e.cluster === 'eu-1'));
    expect(events.some((e) => e.type === 'budget-exceeded')).toBe(true);
    expect(events.some((e) => e.type === 'wave-start' && e.id === 'wave-3')).toBe(false);
    expect(ends.find((e) => e.cluster === 'us-1')!.failedStep).toBe('approve-client');
    // Its simulated clusters stop with the rehearsal: nothing to resume.
    expect(events.find((e) => e.type === 'fleet-end')).toMatchObject({ status: 'failed', resumable: false });
    const report = events.at(-1)!;
    expect(report.type).toBe('fleet-rehearsal');
    const clusters = report.clusters as Array<{ cluster: string; status: string; differs: string[] }>;
    expect(clusters.find((c) => c.cluster === 'us-1')).toMatchObject({ status: 'failed', differs: ['faults'] });
    expect(clusters.filter((c) => c.status === 'pending').map((c) => c.cluster)).toEqual(['us-2', 'us-3', 'ap-1', 'ap-2', 'ap-3']);
    expect(report.network).toEqual({ refused: [] });
  });

  it('rehearses --clusters N: each cluster its own simulation, every one succeeding on a scenario without variations', async () => {
    // 11 at once: more than Node's default of 10 listeners per emitter, which must not be reported as a leak.
    const r = await runCli(['rehearse', RUNBOOK, '--scenario', path.join(repoRoot, 'runbooks/scenarios/two-workers.yaml'), '--clusters', '11', '--max-parallel', '11', '--time-scale', '300', '--output', 'plain'], {
      timeout: 180_000,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toContain('MaxListenersExceededWarning');
    expect(r.stdout).toMatch(/^Rehearsal: 11 simulated clusters of two-workers/m);
    for (let i = 1; i <= 11; i++) expect(r.stdout).toMatch(new RegExp(`^  sim-${i}: succeeded$`, 'm'));
    // Each cluster approved its own two workers' CSRs.
    expect(r.stdout.match(/\[sim-\d+\] approve-client: succeeded/g)).toHaveLength(11);
  });

  it("rehearses renew-control-plane-certs on two clusters, each with its own simulated control-plane nodes", async () => {
    const r = await runCli(
      ['rehearse', path.join(repoRoot, 'runbooks/renew-control-plane-certs.yaml'), '--scenario', path.join(repoRoot, 'runbooks/scenarios/expired-control-plane.yaml'), '--clusters', '2', '--max-parallel', '2', '--output', 'json'],
      { timeout: 180_000 },
    );
    expect(r.exitCode).toBe(0);
    const events = lines(r.stdout);
    expect(events.filter((e) => e.type === 'cluster-end').map((e) => [e.cluster, e.status]).sort()).toEqual([
      ['sim-1', 'succeeded'],
      ['sim-2', 'succeeded'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'fleet-rehearsal', network: { refused: [] } });
  });

  it('refuses --fleet with --clusters, and --contexts, with exit 2 before anything runs', async () => {
    const both = await runCli(['rehearse', RUNBOOK, '--scenario', FLEET_SCENARIO, '--fleet', REHEARSAL_FLEET, '--clusters', '2']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--clusters N cannot be given with it');
    const contexts = await runCli(['rehearse', RUNBOOK, '--scenario', FLEET_SCENARIO, '--contexts', 'prod-*']);
    expect(contexts.exitCode).toBe(2);
    expect(contexts.stderr).toContain('a rehearsal simulates them');
  });
});
