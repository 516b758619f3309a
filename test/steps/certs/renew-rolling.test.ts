// renew-certs over several nodes: one node finished (restart, /readyz) before the next is touched, a failing node
// stops the roll, and a cancellation mid-write restores the backup. Nodes are the simulation's kubeadm nodes, except
// where a real sshd is the point (host-key refusal).

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { renewCertsStep } from '../../../src/steps/certs/renew-certs.js';
import { StepError, CancelledError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/clock.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import type { NodeTransport } from '../../../src/node/index.js';
import { createPkiFixture, type PkiFixture } from '../../helpers/pki-fixture.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { createTestContext } from './context.js';
import { startSimulatedNodes, type SimulatedNodes } from './simulated-nodes.js';

let nodes: SimulatedNodes | undefined;
afterEach(async () => {
  await nodes?.sim.stop();
  nodes = undefined;
});

describe('renew-certs, rolling over several nodes', () => {
  it('finishes one node (restart + /readyz) before backing up the next; each node gets its own backup', async () => {
    nodes = await startSimulatedNodes({}, ['cp-a', 'cp-b']);
    const { ctx, calls, path } = nodes;
    const order: string[] = [];
    const stops = () => calls('cp-a', 'crictl').concat(calls('cp-b', 'crictl')).filter((a) => a[0] === 'stop').length;
    const client = {
      server: 'https://sim',
      request: async () => {
        order.push(`readyz after ${stops()} stops, ${calls('cp-b').length} commands on cp-b`);
        return { status: 200, body: 'ok' };
      },
    } as unknown as KubeClient;
    const out = await renewCertsStep.run(
      renewCertsStep.normalize!({
        nodes: [{ name: 'cp-a', transport: 'ssh', host: '10.200.0.3' }, { name: 'cp-b', transport: 'ssh', host: '10.200.0.4' }],
        strategy: 'native',
        force: true,
        // One test client stands for the cluster of both nodes here, so the probes can be ordered against the stops.
        readyz: { via: 'cluster' },
      }),
      { ...ctx, kube: async () => client },
    );
    expect(out.nodes.map((n) => [n.node, n.renewed.length])).toEqual([['cp-a', 11], ['cp-b', 11]]);
    expect(out.backups).toHaveLength(2);
    expect(out.backups[0]).toMatch(/^\/etc\/kubernetes-backup-\S+-cp-a\.tar\.gz$/);
    expect(out.backups[1]).toMatch(/^\/etc\/kubernetes-backup-\S+-cp-b\.tar\.gz$/);
    expect(existsSync(path('cp-a', out.backups[0]!))).toBe(true);
    expect(existsSync(path('cp-b', out.backups[1]!))).toBe(true);
    // cp-a restarted and answered before anything ran on cp-b (not even its backup).
    expect(order).toEqual(['readyz after 4 stops, 0 commands on cp-b', expect.stringMatching(/^readyz after 8 stops, \d+ commands on cp-b$/)]);
  }, 60_000);

  it('restores the backup when the run is cancelled in the middle of the writes', async () => {
    nodes = await startSimulatedNodes();
    const { ctx, hashTree, calls } = nodes;
    const before = hashTree('cp-1');
    const controller = new AbortController();
    let writes = 0;
    // The 4th certificate file written is where the operator's Ctrl-C lands.
    const openNode = (spec: Parameters<NonNullable<typeof ctx.openNode>>[0], exec: Parameters<NonNullable<typeof ctx.openNode>>[1]): NodeTransport => {
      const node = ctx.openNode!(spec, exec);
      return {
        ...node,
        writeFile: async (p, data, o) => {
          await node.writeFile(p, data, o);
          if (++writes === 4) controller.abort(new CancelledError('interrupted by user', 'interrupted'));
        },
      };
    };
    const error = (await renewCertsStep
      .run(renewCertsStep.normalize!({ nodes: [{ name: 'cp-1' }], strategy: 'native' }), { ...ctx, openNode, signal: controller.signal })
      .catch((e: unknown) => e)) as StepError;
    expect(error.message).toMatch(/restored from .*interrupted by user/);
    expect(hashTree('cp-1')).toEqual(before);
    expect(calls('cp-1', 'crictl')).toEqual([]);
  }, 60_000);
});

// A real sshd: host-key verification is what is tested, which no simulated node has.
describe('renew-certs, a node refused by ssh', () => {
  let base: PkiFixture;
  let sshd: TestSshd;
  beforeAll(async () => {
    [base, sshd] = await Promise.all([createPkiFixture({ kubelet: false }), startSshd()]);
  });
  afterAll(async () => {
    base?.cleanup();
    await sshd?.stop();
  });

  it('stops at the first failing node: later nodes are never touched', async () => {
    const before = base.hashTree();
    const bad = { name: 'cp-bad', transport: 'ssh' as const, host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: sshd.wrongKnownHostsFile };
    const ctx = createTestContext({ clock: new VirtualClock({ start: base.now }) });
    const error = (await renewCertsStep
      .run(renewCertsStep.normalize!({ nodes: [bad, { name: 'cp-ok' }], kubernetesDir: base.kubernetesDir, strategy: 'native' }), ctx)
      .catch((e: unknown) => e)) as StepError;
    expect(error.message).toMatch(/cp-bad: host key verification failed/);
    expect(base.hashTree()).toEqual(before);
  }, 60_000);
});
