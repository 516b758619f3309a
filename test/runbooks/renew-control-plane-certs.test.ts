// The bundled §4 runbook end to end through the real CLI: rehearsed on its bundled scenario (simulated kubeadm
// control-plane nodes, their API servers, the admin cluster holding the kubeconfig secret), a rehearsal refusing a
// node it does not simulate, a renewal failing halfway and rolled back, and `plan` against a real node's files.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulation, type Simulation, type SimSummary } from '../../src/sim/index.js';
import { runCli, repoRoot } from '../helpers/cli.js';
import { createPkiFixture, hashTree, type PkiFixture } from '../helpers/pki-fixture.js';

const RUNBOOK = join(repoRoot, 'runbooks/renew-control-plane-certs.yaml');
const SCENARIO = join(repoRoot, 'runbooks/scenarios/expired-control-plane.yaml');
const LEAVES = ['admin.conf', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'controller-manager.conf', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server', 'front-proxy-client', 'scheduler.conf', 'super-admin.conf'];
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'opsbook-renew-runbook-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function rehearse(...extra: string[]) {
  const result = await runCli(['rehearse', RUNBOOK, '--scenario', SCENARIO, '--output', 'json', ...extra], { timeout: 180_000, env: { OPSBOOK_STATE_DIR: join(work, 'state') } });
  const report = JSON.parse(result.stdout) as { outcome: { status: string; error?: string; exitCode: number }; cluster: SimSummary };
  return { result, report, controlPlane: report.cluster.controlPlane! };
}

const byName = (certs: { name: string; before?: string; after?: string }[]) => Object.fromEntries(certs.map((c) => [c.name, c]));

describe('runbooks/renew-control-plane-certs.yaml', () => {
  it('rehearses §4 on its scenario in one command: every control-plane certificate renewed on every node, exit 0', async () => {
    const { result, report, controlPlane } = await rehearse();
    expect(result.exitCode, `${result.stderr}\n${report.outcome.error ?? ''}`).toBe(0);
    expect(report.outcome.status).toBe('succeeded');
    expect(report.cluster.errors).toEqual([]);
    expect(controlPlane.nodes.map((n) => n.name)).toEqual(['cp-1', 'cp-2']);
    for (const node of controlPlane.nodes) {
      const certs = byName(node.certificates);
      for (const leaf of LEAVES) expect(Date.parse(certs[leaf]!.after!), `${node.name} ${leaf}`).toBeGreaterThan(Date.parse(certs[leaf]!.before!));
      // Renewed for a year from now. The kubelet rotated its own client certificate once the API server was back;
      // its serving certificate is nobody's to renew here.
      expect(Date.parse(certs['apiserver']!.after!)).toBeGreaterThan(Date.now() + 360 * 86_400_000);
      expect(Date.parse(certs['kubelet-client-current.pem']!.after!)).toBeGreaterThan(Date.now() + 360 * 86_400_000);
      expect(certs['kubelet-server-current.pem']!.after).toBe(certs['kubelet-server-current.pem']!.before);
    }
    // The admin cluster's CLUSTER-kubeconfig was brought in step with the renewed cluster.
    expect(controlPlane.kubeconfigSecret).toMatchObject({ namespace: 'cluster-cluster1', name: 'cluster1-kubeconfig' });
    expect(controlPlane.kubeconfigSecret.updates).toBeGreaterThanOrEqual(1);
    // Reading the secret is all the runbook asked of the admin cluster.
    expect(report.cluster.requests.byVerbResource['get secrets']).toBeGreaterThanOrEqual(1);
    expect(Object.keys(report.cluster.requests.byVerbResource).filter((k) => /^(create|update|patch|delete)/.test(k))).toEqual([]);
  }, 180_000);

  it('the text report shows each certificate\'s expiry before and after', async () => {
    const result = await runCli(['rehearse', RUNBOOK, '--scenario', SCENARIO, '--output', 'plain'], { timeout: 180_000, env: { OPSBOOK_STATE_DIR: join(work, 'state-text') } });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Control-plane certificates of cluster1: 24 of 26 renewed/);
    expect(result.stdout).toMatch(/\n\s+cp-1\s+apiserver\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+renewed\n/);
    expect(result.stdout).toMatch(/Admin cluster secret cluster-cluster1\/cluster1-kubeconfig: updated \d time\(s\)/);
  }, 180_000);

  it('a node the scenario does not simulate is refused before anything is read from it: the rehearsal never reaches a real machine', async () => {
    const values = join(work, 'real-nodes.json');
    writeFileSync(values, JSON.stringify({ nodes: [{ name: 'prod-cp-1', transport: 'ssh', host: '192.0.2.10', user: 'root' }] }));
    const { result, report, controlPlane } = await rehearse('--values', values);
    expect(result.exitCode).toBe(1);
    expect(report.outcome.error).toContain('node prod-cp-1 (ssh root@192.0.2.10:22) is not simulated: a rehearsal never reaches a real machine; the scenario simulates cp-1, cp-2');
    for (const node of controlPlane.nodes) for (const c of node.certificates) expect(c.after).toBe(c.before);
  }, 180_000);

  it('a kubeadm renewal failing halfway is rolled back on that node and nothing runs after it', async () => {
    const scenario = join(work, 'failing.yaml');
    writeFileSync(scenario, readFileSync(SCENARIO, 'utf8').replace('  restartDelay: 1s\n', '  restartDelay: 1s\n  renewFailsAfter: 2\n'));
    const result = await runCli(['rehearse', RUNBOOK, '--scenario', scenario, '--output', 'json'], { timeout: 180_000, env: { OPSBOOK_STATE_DIR: join(work, 'state-fail') } });
    const report = JSON.parse(result.stdout) as { outcome: { error?: string }; cluster: SimSummary };
    expect(result.exitCode).toBe(1);
    expect(report.outcome.error).toMatch(/cp-1: certificate renewal failed before any restart — \/etc\/kubernetes restored from \/etc\/kubernetes-backup-\S+-cp-1\.tar\.gz, nothing changed: .*input\/output error/);
    // Two certificates had been renewed when kubeadm failed; the restore put the old ones back. cp-2 was never touched.
    for (const node of report.cluster.controlPlane!.nodes) for (const c of node.certificates) expect(c.after, `${node.name} ${c.name}`).toBe(c.before);
    expect(report.cluster.controlPlane!.kubeconfigSecret.updates).toBe(0);
  }, 180_000);
});

// `plan` opens nodes through their own transport (there is no simulated plan), so this one reads a real openssl-built
// PKI through the local transport — what the simulation cannot stand in for.
describe('plan of runbooks/renew-control-plane-certs.yaml on a real node directory', () => {
  let sim: Simulation;
  let pki: PkiFixture;
  beforeAll(async () => {
    [pki, sim] = await Promise.all([createPkiFixture(), startSimulation({ scenario: { name: 'admin', flavour: 'kubernetes' } })]);
  }, 60_000);
  afterAll(async () => {
    await sim?.stop();
    pki?.cleanup();
  });

  it('shows what would be renewed per node and changes nothing', async () => {
    const values = join(work, 'plan-values.json');
    writeFileSync(values, JSON.stringify({
      nodes: [{ name: 'cp-1', transport: 'local' }],
      strategy: 'native',
      kubernetesDir: pki.kubernetesDir,
      kubeletPkiDir: pki.kubeletPkiDir,
      clusterName: 'cluster1',
      clusterNamespace: 'cluster-cluster1',
      workstationKubeconfig: join(work, 'workstation.kubeconfig'),
    }));
    const before = hashTree(pki.root);
    const result = await runCli(['plan', RUNBOOK, '--kubeconfig', sim.kubeconfigPath, '--values', values], { timeout: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/would renew 10 certificate\(s\) on 1 node\(s\) with native/);
    expect(hashTree(pki.root)).toEqual(before);
  }, 120_000);
});
