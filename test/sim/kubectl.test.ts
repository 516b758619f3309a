// The real kubectl against the simulation, with the kubeconfig it writes: the commands our procedures use.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCsrForApi, generateCsr } from '../../src/pki/csr.js';
import type { Simulation } from '../../src/sim/index.js';
import { eventually, KUBECTL, runKubectl, startSim } from './helpers.js';

let sim: Simulation;
let dir: string;

const kubectl = (...args: string[]) => runKubectl(sim, args);

const PENDING = '{{range .items}}{{if not .status}}{{.metadata.name}}{{"\\n"}}{{end}}{{end}}';

describe.skipIf(!existsSync(KUBECTL))('kubectl', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-kubectl-'));
    sim = await startSim(
      {
        machines: [{ name: 'worker-0', joinAt: '1s' }],
        kubelet: { readyDelay: '10s' },
        workloads: [{ kind: 'DaemonSet', namespace: 'kube-system', name: 'etcd-defrag', rolloutDuration: '20s' }],
      },
      { timeScale: 20 },
    );
  });
  afterAll(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists nodes and cluster operators with their columns', async () => {
    const nodes = await kubectl('get', 'nodes');
    expect(nodes.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(nodes.stdout).toMatch(/master-0\s+Ready\s+control-plane,master\s+\S+\s+v1\.32\.4/);
    const cos = await kubectl('get', 'clusteroperators');
    expect(cos.stdout).toMatch(/^NAME\s+VERSION\s+AVAILABLE\s+PROGRESSING\s+DEGRADED\s+SINCE\s+MESSAGE/);
    expect(cos.stdout).toMatch(/image-registry\s+4\.14\.8\s+True\s+False\s+False/);
  });

  it('approves the client then the serving CSR with the documented one-liner, and waits for Ready', async () => {
    await eventually(() => sim.summary().csrs.pending >= 1);
    const csrs = await kubectl('get', 'csr');
    expect(csrs.stdout).toMatch(/^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION/);
    expect(csrs.stdout).toContain('system:serviceaccount:openshift-machine-config-operator:node-bootstrapper');
    const pending = await kubectl('get', 'csr', '-o', `go-template=${PENDING}`);
    const names = pending.stdout.trim().split('\n');
    expect(names).toHaveLength(1);
    expect((await kubectl('certificate', 'approve', ...names)).stdout).toContain('approved');
    const serving = await eventually(() => sim.summary().csrs.items.find((c) => c.signerName === 'kubernetes.io/kubelet-serving'));
    expect(serving.requestor).toBe('system:node:worker-0');
    expect((await kubectl('get', 'nodes')).stdout).toMatch(/worker-0\s+NotReady/);
    const next = await kubectl('get', 'csr', '-o', `go-template=${PENDING}`);
    expect(next.stdout.trim()).toBe(serving.name);
    await kubectl('certificate', 'approve', serving.name);
    const wait = await kubectl('wait', '--for=condition=Ready', 'node/worker-0', '--timeout=20s');
    expect(wait.stdout).toContain('condition met');
    expect((await kubectl('get', 'csr')).stdout).toMatch(/Approved,Issued/);
  });

  it('creates a CSR as another user (--as) and denies it; a denied CSR cannot be approved', async () => {
    const csr = await generateCsr({ commonName: 'system:node:worker-9', organizations: ['system:nodes'] });
    const file = join(dir, 'csr.yaml');
    await writeFile(file, `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: manual\nspec:\n  request: ${encodeCsrForApi(csr.pem)}\n  signerName: kubernetes.io/kube-apiserver-client-kubelet\n  usages: [digital signature, client auth]\n  username: forged\n`);
    const created = await kubectl('create', '-f', file, '--as', 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper');
    expect(created.code).toBe(0);
    const spec = await kubectl('get', 'csr', 'manual', '-o', 'jsonpath={.spec.username} {.spec.groups}');
    expect(spec.stdout).toContain('system:serviceaccount:openshift-machine-config-operator:node-bootstrapper');
    expect(spec.stdout).toContain('system:serviceaccounts:openshift-machine-config-operator');
    expect((await kubectl('certificate', 'deny', 'manual')).stdout).toContain('denied');
    const approve = await kubectl('certificate', 'approve', 'manual');
    expect(approve.code).not.toBe(0);
    expect((await kubectl('get', 'csr', 'manual')).stdout).toMatch(/manual.*Denied/);
  });

  it('patches the image registry config with a merge patch', async () => {
    const patched = await kubectl('patch', 'configs.imageregistry.operator.openshift.io', 'cluster', '--type=merge', '-p', '{"spec":{"managementState":"Managed","storage":{"emptyDir":{}}}}');
    expect(patched.stdout).toContain('patched');
    const state = await kubectl('get', 'configs.imageregistry.operator.openshift.io', 'cluster', '-o', 'jsonpath={.spec.managementState}');
    expect(state.stdout).toBe('Managed');
  });

  it('restarts a DaemonSet rollout and sees it complete', async () => {
    expect((await kubectl('rollout', 'restart', 'daemonset/etcd-defrag', '-n', 'kube-system')).stdout).toContain('restarted');
    const status = await kubectl('rollout', 'status', 'daemonset/etcd-defrag', '-n', 'kube-system', '--timeout=20s');
    expect(status.stdout).toContain('successfully rolled out');
  });

  it('applies manifests client-side and server-side', async () => {
    const file = join(dir, 'cm.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\ndata:\n  a: "1"\n');
    expect((await kubectl('apply', '-f', file)).stdout).toContain('created');
    await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\ndata:\n  a: "2"\n');
    expect((await kubectl('apply', '-f', file)).stdout).toContain('configured');
    expect((await kubectl('apply', '--server-side', '-f', file)).stdout).toContain('serverside-applied');
    expect((await kubectl('get', 'cm', 'demo', '-o', 'jsonpath={.data.a}')).stdout).toBe('2');
  });

  it('pages, selects, deletes and reaches trailing-slash paths as on kube-apiserver (the query and DELETE rules)', async () => {
    for (const [name, tier] of [['tier-a', '1'], ['tier-b', '3'], ['tier-c', '5']] as const) {
      expect((await kubectl('create', 'configmap', name, '-n', 'default')).code).toBe(0);
      expect((await kubectl('label', 'configmap', name, '-n', 'default', `tier=${tier}`)).code).toBe(0);
    }
    // --chunk-size pages with limit/continue; `tier>2` is a set-based label selector kube-apiserver accepts.
    const paged = await kubectl('get', 'configmaps', '-n', 'default', '-l', 'tier', '--chunk-size=1', '-o', 'name');
    expect(paged.stdout.trim().split('\n')).toEqual(['configmap/tier-a', 'configmap/tier-b', 'configmap/tier-c']);
    expect((await kubectl('get', 'configmaps', '-n', 'default', '-l', 'tier>2', '-o', 'name')).stdout.trim().split('\n')).toEqual([
      'configmap/tier-b',
      'configmap/tier-c',
    ]);
    const badField = await kubectl('get', 'configmaps', '-n', 'default', '--field-selector', 'spec.foo=x');
    expect(badField.code).not.toBe(0);
    expect(badField.stderr).toContain('"spec.foo" is not a known field selector');
    // DELETE answers a Success Status here, which kubectl reads as deleted.
    const deleted = await kubectl('delete', 'configmap', 'tier-a', '-n', 'default');
    expect(deleted.stdout).toContain('configmap "tier-a" deleted');
    expect(JSON.parse((await kubectl('get', '--raw', '/version/')).stdout).gitVersion).toMatch(/^v1\./);
    // kubectl creates ConfigMaps and Secrets with protobuf bodies, as kube-apiserver accepts.
    expect((await kubectl('create', 'secret', 'generic', 'creds', '-n', 'default', '--from-literal=user=admin')).code).toBe(0);
    expect((await kubectl('get', 'secret', 'creds', '-n', 'default', '-o', 'jsonpath={.data.user}')).stdout).toBe(Buffer.from('admin').toString('base64'));
    expect((await kubectl('create', 'configmap', 'settings', '-n', 'default', '--from-literal=mode=fast')).code).toBe(0);
    expect((await kubectl('get', 'configmap', 'settings', '-n', 'default', '-o', 'jsonpath={.data.mode}')).stdout).toBe('fast');
    // ... and Namespaces too (`kubectl create namespace` once got a 400 here).
    const ns = await kubectl('create', 'namespace', 'team-a');
    expect(ns.stderr).toBe('');
    expect(ns.stdout).toContain('namespace/team-a created');
    expect((await kubectl('get', 'namespace', 'team-a', '-o', 'jsonpath={.status.phase}')).stdout).toBe('Active');
  });

  it('ends `get csr -w` cleanly on its request timeout', async () => {
    const watched = await kubectl('get', 'csr', '-w', '--request-timeout=2s');
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^NAME\s+AGE\s+SIGNERNAME/);
  });
});
