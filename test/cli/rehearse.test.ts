import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fixture } from './fixtures.js';

describe('opsbook rehearse (end to end)', { timeout: 120_000 }, () => {
  it('runs the runbook on the simulated cluster with its scaled clock; shell steps reach it through KUBECONFIG; --output json is the report', async () => {
    const r = await runCli(['rehearse', fixture('kubectl.yaml'), '--scenario', fixture('scenario-tiny.yaml'), '--output', 'json']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.outcome).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(report.scenario).toBe('tiny');
    expect(report.timeScale).toBe(60);
    expect(report.cluster.nodes.map((n: { name: string }) => n.name)).toEqual(['master-0', 'master-1']);
    // kubectl in the shell step listed nodes on the simulation, not on some other cluster.
    expect(report.cluster.requests.byVerbResource['list nodes']).toBeGreaterThanOrEqual(1);
    // The 2-minute sleep ran on the simulation's clock (60×): two simulated minutes have passed.
    expect(report.cluster.elapsedMs).toBeGreaterThanOrEqual(120_000);
  });

  it('prints live progress, then the outcome and the cluster as text', async () => {
    const r = await runCli(['rehearse', fixture('kubectl.yaml'), '--scenario', fixture('scenario-tiny.yaml'), '--time-scale', '120']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('nodes | node/master-0');
    expect(r.stdout).toMatch(/Rehearsal of cli-kubectl .* on scenario tiny \(openshift\), time scale 120×/);
    expect(r.stdout).toMatch(/Outcome: run \S+ succeeded/);
    expect(r.stdout).toMatch(/Nodes \(2\)\n\s+NAME\s+STATUS\s+ROLES\n\s+master-0\s+Ready\s+master/);
    expect(r.stdout).toMatch(/CSRs: 0 approved, 0 denied, 0 pending/);
    expect(r.stdout).toMatch(/API requests: \d+/);
  });

  it('a failing rehearsal still shows the cluster, and exits 1', async () => {
    const r = await runCli(['rehearse', fixture('fail.yaml'), '--scenario', fixture('scenario-tiny.yaml'), '--output', 'json']);
    expect(r.exitCode).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.outcome.status).toBe('failed');
    expect(report.cluster.nodes).toHaveLength(2);
  });

  it('--scenario is required (usage error, exit 2)', async () => {
    const r = await runCli(['rehearse', fixture('kubectl.yaml')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--scenario');
  });

  it('a scenario file that cannot be read is a usage error (exit 2), not a crash', async () => {
    const r = await runCli(['rehearse', fixture('kubectl.yaml'), '--scenario', 'no-such-scenario.yaml']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot read .*no-such-scenario\.yaml: no such file/);
  });
});
