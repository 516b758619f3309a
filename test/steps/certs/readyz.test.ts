// waitForReadyz over HTTPS (trust, timeouts on the virtual clock, the network policy) and where renew-certs probes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForReadyz } from '../../../src/steps/certs/readyz.js';
import { startSimulation, type Simulation } from '../../../src/sim/index.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { resolveReadyzTarget } from '../../../src/steps/certs/readyz-target.js';
import { createCa } from '../../../src/pki/ca.js';
import { normalizeNode, openNode, type NodeTransport } from '../../../src/node/index.js';
import { execProcess } from '../../../src/proc/exec.js';
import { createRehearsalNetwork } from '../../../src/net/index.js';
import { StepError } from '../../../src/errors.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let sim: Simulation;
beforeAll(async () => {
  sim = await startSimulation({ scenario: { name: 'readyz', flavour: 'kubernetes' } });
});
afterAll(async () => sim?.stop());

const options = (extra: Partial<Parameters<typeof waitForReadyz>[1]>) => ({
  timeoutMs: 60_000,
  intervalMs: 5000,
  clock: new VirtualClock(),
  signal: new AbortController().signal,
  kube: () => Promise.reject(new Error('not used')),
  progress: () => {},
  ...extra,
});

describe('waitForReadyz over https', () => {
  it('answers when the server certificate chains to the given CA', async () => {
    const ready = await waitForReadyz('cp-1', options({ url: `${sim.url}/readyz`, caPem: sim.caPem }));
    expect(ready).toEqual({ probes: 1, waitedMs: 0 });
  });

  it('keeps probing (on the virtual clock) and times out when the certificate is not trusted', async () => {
    const clock = new VirtualClock();
    const error = await waitForReadyz('cp-1', options({ url: `${sim.url}/readyz`, caPem: undefined, clock, timeoutMs: 30_000 })).catch((e: unknown) => e as Error);
    expect(String(error)).toMatch(/did not answer \/readyz within 30s .*(self-signed|unable to verify|certificate)/);
    expect(clock.now() - Date.parse('2026-01-01T00:00:00Z')).toBe(30_000);
  });
});

describe('waitForReadyz through the run\'s network policy', () => {
  it('during a rehearsal a node address the simulation does not answer for is refused at once, never probed', async () => {
    const clock = new VirtualClock();
    const network = createRehearsalNetwork({});
    const error = await waitForReadyz('cp-1', options({ url: 'https://10.200.0.3:6443/readyz', caPem: sim.caPem, clock, network })).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).message).toMatch(/^not simulated: 10\.200\.0\.3 /);
    expect(clock.now() - Date.parse('2026-01-01T00:00:00Z')).toBe(0);
    expect(network.attempts()).toEqual([{ target: '10.200.0.3:6443', outcome: 'refused' }]);
    // The loopback stays reachable: the simulation's own servers.
    expect(await waitForReadyz('cp-1', options({ url: `${sim.url}/readyz`, caPem: sim.caPem, network }))).toEqual({ probes: 1, waitedMs: 0 });
  });
});

describe('resolveReadyzTarget', () => {
  it('by default probes the restarted node itself (not the run\'s cluster), trusting that node\'s pki/ca.crt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbook-readyz-'));
    const local = openNode(normalizeNode({ name: 'cp-1' }), execProcess);
    try {
      mkdirSync(join(dir, 'pki'));
      writeFileSync(join(dir, 'pki/ca.crt'), sim.caPem);
      const port = Number(new URL(sim.url).port);
      const target = await resolveReadyzTarget(local, { kubernetesDir: dir, readyz: { url: undefined, kubeconfig: undefined, port } }, new AbortController().signal);
      expect(target).toEqual({ url: `https://127.0.0.1:${port}/readyz`, caPem: sim.caPem, verifyHostname: false });
      // The run's cluster is never asked.
      expect(await waitForReadyz('cp-1', options({ ...target, kube: () => Promise.reject(new Error('asked the run cluster')) }))).toEqual({ probes: 1, waitedMs: 0 });

      const reads: string[] = [];
      const remote = {
        spec: normalizeNode({ name: 'cp-2', transport: 'ssh', host: '10.200.0.4' }),
        readFile: async (path: string) => (reads.push(path), Buffer.from('CA OF CP-2')),
      } as unknown as NodeTransport;
      expect(await resolveReadyzTarget(remote, { kubernetesDir: '/etc/kubernetes', readyz: { url: undefined, kubeconfig: undefined } }, new AbortController().signal))
        .toEqual({ url: 'https://10.200.0.4:6443/readyz', caPem: 'CA OF CP-2', verifyHostname: false });
      expect(reads).toEqual(['/etc/kubernetes/pki/ca.crt']);
      const v6 = { ...remote, spec: normalizeNode({ name: 'cp-3', transport: 'ssh', host: 'fd00::3' }) } as NodeTransport;
      expect((await resolveReadyzTarget(v6, { kubernetesDir: '/etc/kubernetes', readyz: { url: undefined, kubeconfig: undefined, port: 443 } }, new AbortController().signal)).url)
        .toBe('https://[fd00::3]:443/readyz');
    } finally {
      await local.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('probes the server of the node\'s kubeconfig with its CA and client certificate, read through the transport', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsbook-readyz-'));
    const node = openNode(normalizeNode({ name: 'cp-1' }), execProcess);
    try {
      const client = await createCa({ commonName: 'kubernetes-admin' });
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      writeFileSync(join(dir, 'admin.conf'), [
        'apiVersion: v1', 'kind: Config', 'current-context: admin@k',
        'clusters:', `- name: k`, `  cluster: {server: "${sim.url}/", certificate-authority-data: ${b64(sim.caPem)}}`,
        'contexts:', '- name: admin@k', '  context: {cluster: k, user: admin}',
        'users:', '- name: admin', `  user: {client-certificate-data: ${b64(client.certificatePem)}, client-key-data: ${b64(client.privateKeyPem)}}`, '',
      ].join('\n'));
      const target = await resolveReadyzTarget(node, { kubernetesDir: dir, readyz: { url: undefined, kubeconfig: 'admin.conf' } }, new AbortController().signal);
      expect(target).toEqual({ url: `${sim.url}/readyz`, caPem: sim.caPem, client: { certificatePem: client.certificatePem, keyPem: client.privateKeyPem } });
      expect(await waitForReadyz('cp-1', options(target))).toEqual({ probes: 1, waitedMs: 0 });

      mkdirSync(join(dir, 'pki'));
      writeFileSync(join(dir, 'pki/ca.crt'), sim.caPem);
      expect(await resolveReadyzTarget(node, { kubernetesDir: dir, readyz: { url: 'https://10.0.0.1:6443/readyz', kubeconfig: undefined } }, new AbortController().signal))
        .toEqual({ url: 'https://10.0.0.1:6443/readyz', caPem: sim.caPem });
      expect(await resolveReadyzTarget(node, { kubernetesDir: dir, readyz: { url: undefined, kubeconfig: undefined, via: 'cluster' } }, new AbortController().signal)).toEqual({});
      await expect(resolveReadyzTarget(node, { kubernetesDir: dir, readyz: { url: undefined, kubeconfig: '/nope.conf' } }, new AbortController().signal))
        .rejects.toThrow(/cp-1: cannot read \/nope.conf: missing/);
    } finally {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
