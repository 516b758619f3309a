// Scenario behaviour: the kubelet's client → serving chain, CSR rotation, Ready after the delay, rogues, validation.

import { afterEach, describe, expect, it } from 'vitest';
import { parseCsr, decodeCsrFromApi } from '../../src/pki/csr.js';
import { loadScenario, type Simulation } from '../../src/sim/index.js';
import { eventually, startSim } from './helpers.js';
import type { Json } from '../../src/sim/json.js';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});


async function approve(s: Simulation, name: string): Promise<void> {
  const csr = s.access.get('certificatesigningrequests', undefined, name)!;
  csr.status = { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'approved by test' }] };
  await s.access.update('certificatesigningrequests', csr, 'approval');
}

const csrsOf = (s: Simulation, node: string) => s.summary().csrs.items.filter((c) => c.node === node);

describe('kubelet', () => {
  it('posts a client CSR as the node-bootstrapper, then a serving CSR as the node, then turns Ready after the delay', async () => {
    sim = await startSim({ machines: [{ name: 'worker-0', addresses: [{ type: 'InternalIP', address: '10.0.50.126' }, { type: 'Hostname', address: 'worker-0.example.com' }] }], kubelet: { readyDelay: '5m' } }, { timeScale: 600 });
    const s = sim;
    const client = await eventually(() => csrsOf(s, 'worker-0')[0]);
    expect(s.summary().nodes.map((n) => n.name)).not.toContain('worker-0');
    const raw = s.access.get('certificatesigningrequests', undefined, client.name) as Json;
    expect(raw.spec.username).toBe('system:serviceaccount:openshift-machine-config-operator:node-bootstrapper');
    expect(raw.spec.groups).toContain('system:serviceaccounts:openshift-machine-config-operator');
    expect(raw.spec.signerName).toBe('kubernetes.io/kube-apiserver-client-kubelet');
    const parsed = await parseCsr(decodeCsrFromApi(raw.spec.request));
    expect(parsed).toMatchObject({ commonName: 'system:node:worker-0', organizations: ['system:nodes'], signatureValid: true });
    expect(parsed.key).toMatchObject({ algorithm: 'EC', curve: 'P-256' });
    expect(parsed.sans.dnsNames).toEqual([]);

    await approve(s, client.name);
    const serving = await eventually(() => csrsOf(s, 'worker-0').find((c) => c.signerName === 'kubernetes.io/kubelet-serving'));
    expect(s.access.get('certificatesigningrequests', undefined, client.name)!.status).toHaveProperty('certificate');
    expect(s.summary().nodes.find((n) => n.name === 'worker-0')?.status).toBe('NotReady');
    const servingRaw = s.access.get('certificatesigningrequests', undefined, serving.name) as Json;
    expect(servingRaw.spec.username).toBe('system:node:worker-0');
    expect(servingRaw.spec.groups).toEqual(['system:nodes', 'system:authenticated']);
    const servingCsr = await parseCsr(decodeCsrFromApi(servingRaw.spec.request));
    expect(servingCsr.sans).toMatchObject({ dnsNames: ['worker-0.example.com'], ipAddresses: ['10.0.50.126'] });
    const node = s.access.get('nodes', undefined, 'worker-0') as Json;
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: '10.0.50.126' });

    await approve(s, serving.name);
    const approvedAt = s.clock.now();
    await eventually(() => s.summary().nodes.find((n) => n.name === 'worker-0')?.status === 'Ready');
    const ready = (s.access.get('nodes', undefined, 'worker-0') as Json).status.conditions.find((c: Json) => c.type === 'Ready');
    expect(Date.parse(ready.lastTransitionTime) - approvedAt).toBeGreaterThanOrEqual(5 * 60_000 - 2000);
    const cert = Buffer.from((s.access.get('certificatesigningrequests', undefined, serving.name) as Json).status.certificate as string, 'base64').toString();
    expect(cert).toContain('BEGIN CERTIFICATE');
  });

  it('re-posts a pending CSR every retry interval, leaving several per node', async () => {
    sim = await startSim({ machines: [{ name: 'worker-0' }], kubelet: { csrRetryInterval: '15m' } }, { timeScale: 3600 });
    const s = sim;
    const csrs = await eventually(() => (csrsOf(s, 'worker-0').length >= 3 ? csrsOf(s, 'worker-0') : undefined));
    expect(csrs.every((c) => c.state === 'pending')).toBe(true);
    const times = csrs.map((c) => Date.parse(c.created)).sort();
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(15 * 60_000 - 1000);
    // Approving any one of them is enough for the kubelet to move on to its serving CSR.
    await approve(s, csrs[1]!.name);
    await eventually(() => csrsOf(s, 'worker-0').some((c) => c.signerName === 'kubernetes.io/kubelet-serving'));
  });

  it('replays the history of a machine that joined before the start (late-approval)', async () => {
    sim = await startSim({ machines: [{ name: 'worker-0', joinAt: '-50m' }], kubelet: { csrRetryInterval: '15m' } });
    const s = sim;
    const csrs = await eventually(() => (csrsOf(s, 'worker-0').length >= 4 ? csrsOf(s, 'worker-0') : undefined));
    const ages = csrs.map((c) => Math.round((s.clock.now() - Date.parse(c.created)) / 60_000)).sort((a, b) => b - a);
    expect(ages).toEqual([50, 35, 20, 5]);
  });

  it('posts one CSR per rogue kind under the identity that makes it dangerous', async () => {
    sim = await startSim({
      machines: [{ name: 'worker-0', joinAt: '1h' }, { name: 'worker-1', joinAt: '1h' }],
      rogues: [
        { kind: 'wrong-requestor', node: 'worker-0' },
        { kind: 'unknown-machine', node: 'evil-0' },
        { kind: 'foreign-san', node: 'worker-1', victim: 'master-0' },
        { kind: 'client-with-sans', node: 'worker-1' },
        { kind: 'wrong-signer', node: 'worker-0' },
        { kind: 'cn-mismatch', node: 'worker-0', victim: 'worker-1' },
      ],
    });
    const s = sim;
    const rogues = await eventually(() => (s.summary().csrs.items.filter((c) => c.rogue).length === 6 ? s.summary().csrs.items : undefined));
    const byKind = Object.fromEntries(rogues.map((c) => [c.rogue, c]));
    expect(byKind['wrong-requestor']!.requestor).toBe('system:serviceaccount:default:intruder');
    expect(byKind['wrong-signer']!.signerName).toBe('kubernetes.io/kube-apiserver-client');
    expect(byKind['foreign-san']!.requestor).toBe('system:node:worker-1');
    const read = async (kind: string) => parseCsr(decodeCsrFromApi((s.access.get('certificatesigningrequests', undefined, byKind[kind]!.name) as Json).spec.request));
    expect((await read('foreign-san')).sans.ipAddresses).toEqual(['10.0.0.10']);
    expect((await read('cn-mismatch')).commonName).toBe('system:node:worker-1');
    expect((await read('client-with-sans')).sans.dnsNames.length).toBeGreaterThan(0);
    expect((await read('unknown-machine')).commonName).toBe('system:node:evil-0');
  });
});

describe('scenario files', () => {
  it('loads every bundled scenario', async () => {
    for (const name of ['two-workers', 'late-approval', 'rogue-csrs', 'flaky-api', 'image-registry-removed', 'sno-add-worker']) {
      const scenario = await loadScenario(`runbooks/scenarios/${name}.yaml`);
      expect(scenario.name).toBe(name);
    }
  });

  it('points schema violations at file:line:col with the field path', async () => {
    const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'scenario-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nmachines:\n  - name: Worker_0\n    joinAt: soon\n');
    const error = await loadScenario(file).catch((e) => e);
    await rm(dir, { recursive: true });
    expect(error.name).toBe('RunbookError');
    expect(error.diagnostics).toContainEqual(expect.objectContaining({ file, line: 3, col: 11, path: 'machines[0].name' }));
    expect(error.diagnostics).toContainEqual(expect.objectContaining({ line: 4, path: 'machines[0].joinAt' }));
  });
});
