// The bundled §4 runbook, end to end through the real CLI: local transport on an openssl-built kubeadm PKI under
// ROOT/etc/kubernetes (kubeadm runs with --rootfs=ROOT), kubeadm/crictl stand-ins on PATH, an HTTPS /readyz on the
// "node" signed by its CA, and two simulated clusters: the admin cluster (--kubeconfig, holds the kubeconfig secret)
// and the renewed cluster (where etcd-defrag must be restarted).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulation, type Simulation } from '../../src/sim/index.js';
import { runCli, repoRoot } from '../helpers/cli.js';
import { createPkiFixture, hashTree, type PkiFixture } from '../helpers/pki-fixture.js';
import { FAKE_BIN, createFakeRuntime, moveUnderRootfs, openssl, type FakeRuntime } from '../steps/certs/renew-setup.js';

const RUNBOOK = join(repoRoot, 'runbooks/renew-control-plane-certs.yaml');
let sim: Simulation;
/** The renewed cluster: its kubeconfig is the admin cluster's secret value. */
let target: Simulation;
let pki: PkiFixture;
/** ROOT/etc/kubernetes of pki and pristine. */
let pkiDir: string;
let pristineDir: string;
/** The node's API server /readyz, served with a certificate from the node's CA. */
let apiServer: Server;
let readyzProbes = 0;
let pristine: PkiFixture;
let runtime: FakeRuntime;
let work: string;
const OLD_KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters: [{name: old, cluster: {server: "https://10.200.0.50:443"}}]\nusers: [{name: old, user: {token: expired}}]\n';

beforeAll(async () => {
  const etcdDefrag = { kind: 'DaemonSet' as const, namespace: 'kube-system', name: 'etcd-defrag', replicas: 1, rolloutDuration: '10s' };
  [pki, sim, target] = await Promise.all([
    createPkiFixture(),
    startSimulation({
      scenario: {
        name: 'renew-certs',
        flavour: 'kubernetes',
        timeScale: 600,
        nodes: [{ name: 'cp-1', roles: ['control-plane'] }],
        workloads: [etcdDefrag],
      },
    }),
    startSimulation({
      scenario: { name: 'renewed', flavour: 'kubernetes', timeScale: 600, nodes: [{ name: 'target-cp-1', roles: ['control-plane'] }], workloads: [etcdDefrag] },
    }),
  ]);
  pkiDir = moveUnderRootfs(pki);
  await sim.access.create('namespaces', { metadata: { name: 'cluster-cluster1' } });
  await sim.access.create('secrets', {
    metadata: { name: 'cluster1-kubeconfig', namespace: 'cluster-cluster1' },
    type: 'Opaque',
    data: { value: Buffer.from(target.kubeconfig).toString('base64') },
  });
  pristine = pki.clone();
  pristineDir = join(pristine.root, 'etc/kubernetes');
  apiServer = await startNodeApiServer(pkiDir);
  runtime = createFakeRuntime(['etcd']);
  work = mkdtempSync(join(tmpdir(), 'opsbook-renew-runbook-'));
  writeFileSync(join(work, 'workstation.kubeconfig'), OLD_KUBECONFIG, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  apiServer?.close();
  await Promise.all([sim?.stop(), target?.stop()]);
  pki?.cleanup();
  pristine?.cleanup();
  runtime?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** /readyz on 127.0.0.1 with a serving certificate issued by the node's (not the admin cluster's) CA. */
async function startNodeApiServer(kubernetesDir: string): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'opsbook-node-apiserver-'));
  try {
    const [key, csr, crt, ext] = ['server.key', 'server.csr', 'server.crt', 'ext.cnf'].map((f) => join(dir, f)) as [string, string, string, string];
    writeFileSync(ext, 'subjectAltName=DNS:kubernetes,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n');
    openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', '/CN=kube-apiserver', '-out', csr);
    openssl('x509', '-req', '-in', csr, '-CA', join(kubernetesDir, 'pki/ca.crt'), '-CAkey', join(kubernetesDir, 'pki/ca.key'),
      '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', crt);
    const server = createServer({ key: readFileSync(key), cert: readFileSync(crt) }, (req, res) => {
      if (req.url === '/readyz') readyzProbes++;
      res.writeHead(req.url === '/readyz' ? 200 : 404).end(req.url === '/readyz' ? 'ok' : 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeValues(extra: Record<string, unknown> = {}, kubernetesDir: string = pkiDir, fixture: PkiFixture = pki): string {
  const file = join(work, `values-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({
    nodes: [{ name: 'cp-1', transport: 'local' }],
    kubernetesDir,
    kubeletPkiDir: fixture.kubeletPkiDir,
    strategy: 'kubeadm',
    apiServerPort: (apiServer.address() as AddressInfo).port,
    // The simulated API server takes bearer tokens only, so "the node's admin.conf" is the renewed cluster's kubeconfig.
    adminKubeconfig: target.kubeconfigPath,
    clusterName: 'cluster1',
    clusterNamespace: 'cluster-cluster1',
    workstationKubeconfig: join(work, 'workstation.kubeconfig'),
    ...extra,
  }));
  return file;
}

const cliEnv = () => ({
  PATH: `${FAKE_BIN}:${process.env.PATH}`,
  FAKE_CRICTL_STATE: runtime.statePath,
  FAKE_BIN_LOG: runtime.logPath,
  OPSBOOK_STATE_DIR: join(work, 'state'),
});

describe('runbooks/renew-control-plane-certs.yaml', () => {
  it('plan shows what would be renewed per node and changes nothing', async () => {
    const before = hashTree(pki.root);
    const result = await runCli(['plan', RUNBOOK, '--kubeconfig', sim.kubeconfigPath, '--values', writeValues()], { env: cliEnv(), timeout: 120_000 });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/would renew 10 certificate\(s\) on 1 node\(s\) with kubeadm/);
    expect(hashTree(pki.root)).toEqual(before);
    expect(runtime.calls()).toEqual([]);
  }, 120_000);

  it('runs §4 end to end: check, rolling renewal, API check, kubeconfig refresh, etcd-defrag restart, kubelet check', async () => {
    const result = await runCli(['run', RUNBOOK, '--kubeconfig', sim.kubeconfigPath, '--values', writeValues(), '--output', 'json'], {
      env: cliEnv(),
      timeout: 180_000,
    });
    const events = result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    const ends: Record<string, any> = Object.fromEntries(events.filter((e) => e.type === 'step-end').map((e) => [e.stepId, e]));
    expect(result.exitCode, result.stderr + JSON.stringify(ends, null, 1).slice(0, 4000)).toBe(0);
    expect(Object.keys(ends)).toEqual(['check-expiry', 'renew', 'check-api', 'kubeconfig-secret', 'refresh-kubeconfig', 'restart-etcd-defrag', 'check-kubelet']);
    for (const e of Object.values(ends)) expect(e.status, e.stepId).toBe('succeeded');

    expect(ends['check-expiry'].outputs.expired).toBe(10);
    const renewed = ends['renew'].outputs.nodes[0];
    expect(renewed.renewed).toHaveLength(10);
    expect(renewed.backup).toMatch(/kubernetes-backup-.*\.tar\.gz$/);
    expect(openssl('verify', '-CAfile', join(pkiDir, 'pki/ca.crt'), join(pkiDir, 'pki/apiserver.crt')).trim()).toMatch(/: OK$/);
    // /readyz asked of the node itself (trusting its CA), not of the admin cluster.
    expect(readyzProbes).toBeGreaterThan(0);

    // kubeadm on the node, chrooted to the fixture root; crictl stopped exactly the four control-plane containers
    // (etcd retried once), never etcd-defrag.
    expect(runtime.calls('kubeadm').map((a) => a.join(' '))).toContain(`certs check-expiration --rootfs=${pki.root}`);
    const state = runtime.state();
    expect(state.containers.filter((c) => c.state === 'exited').map((c) => c.name).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
    expect(state.containers.filter((c) => c.name === 'etcd-defrag').map((c) => c.state)).toEqual(['running']);
    expect(runtime.calls('crictl').filter((a) => a[0] === 'stop')).toHaveLength(5);

    // kubectl get nodes ran on the node (its transport) with the node's kubeconfig: it saw the renewed cluster.
    expect(ends['check-api'].outputs.nodes[0].stdout).toMatch(/target-cp-1/);
    // Workstation kubeconfig replaced by the secret's value after kubectl get nodes passed with it, the old one kept.
    expect(ends['refresh-kubeconfig'].outputs.checked).toBe(true);
    expect(readFileSync(join(work, 'workstation.kubeconfig'), 'utf8')).toBe(target.kubeconfig);
    const backups = readdirSync(work).filter((f) => f.startsWith('workstation.kubeconfig.bak-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(work, backups[0]!), 'utf8')).toBe(OLD_KUBECONFIG);
    expect(JSON.stringify(events)).not.toContain(sim.adminToken);
    expect(JSON.stringify(events)).not.toContain(target.adminToken);

    // etcd-defrag rolled in the renewed cluster, through the refreshed kubeconfig; the admin cluster's is untouched.
    const restartedAt = (s: Simulation) => (s.access.get('daemonsets', 'kube-system', 'etcd-defrag')!.spec as any).template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    expect(restartedAt(target)).toBe(ends['restart-etcd-defrag'].outputs.restartedAt);
    expect(restartedAt(sim)).toBeUndefined();
    expect(ends['check-kubelet'].outputs.nodes[0].certificates.map((c: { name: string }) => c.name)).toEqual(['kubelet-client-current.pem', 'kubelet-server-current.pem']);
  }, 180_000);

  it('a renewal failing halfway exits 1, restores the node byte for byte and runs nothing after it', async () => {
    const before = hashTree(pristineDir);
    const calls = runtime.calls().length;
    const result = await runCli(['run', RUNBOOK, '--kubeconfig', sim.kubeconfigPath, '--values', writeValues({ force: true }, pristineDir, pristine), '--output', 'json'], {
      env: { ...cliEnv(), FAKE_KUBEADM_FAIL_AFTER: '2' },
      timeout: 180_000,
    });
    expect(result.exitCode).toBe(1);
    const events = result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    const ends: Record<string, any> = Object.fromEntries(events.filter((e) => e.type === 'step-end').map((e) => [e.stepId, e]));
    expect(ends['check-expiry'].status).toBe('succeeded');
    expect(ends['renew'].status).toBe('failed');
    expect(JSON.stringify(events.filter((e) => e.stepId === 'renew'))).toMatch(/certificate renewal failed before any restart .* restored from .*kubernetes-backup-/);
    for (const id of ['check-api', 'kubeconfig-secret', 'refresh-kubeconfig', 'restart-etcd-defrag', 'check-kubelet']) {
      expect(ends[id]?.status ?? 'not run', id).not.toBe('succeeded');
    }
    expect(hashTree(pristineDir)).toEqual(before);
    // kubeadm ran (and failed); crictl was never called for this run.
    const newCalls = runtime.calls().slice(calls);
    expect(newCalls.some((c) => c[0] === 'certs' && c[1] === 'renew')).toBe(true);
    expect(newCalls.filter((c) => c[0] === 'stop' || c[0] === 'ps')).toEqual([]);
  }, 180_000);
});
