import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { renewCertsStep } from '../../../src/steps/certs/renew-certs.js';
import { StepError, CancelledError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { execProcess } from '../../../src/proc/exec.js';
import type { Exec } from '../../../src/proc/types.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import { createPkiFixture, type PkiFixture } from '../../helpers/pki-fixture.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { createTestContext } from './context.js';
import { createFakeRuntime } from './renew-setup.js';

let base: PkiFixture;
let sshd: TestSshd;

beforeAll(async () => {
  [base, sshd] = await Promise.all([createPkiFixture(), startSshd()]);
});
afterAll(async () => {
  base?.cleanup();
  await sshd?.stop();
});

function sshNode(name: string) {
  return { name, transport: 'ssh' as const, host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile };
}

describe('renew-certs, rolling over several nodes', () => {
  it('finishes one node (restart + /readyz) before backing up the next; each node gets its own backup', async () => {
    const pki = base.clone();
    const runtime = createFakeRuntime();
    const order: string[] = [];
    const client = {
      server: 'https://sim',
      request: async () => {
        order.push(`readyz after ${runtime.calls('crictl').filter((a) => a[0] === 'stop').length} stops`);
        return { status: 200, body: 'ok' };
      },
    } as unknown as KubeClient;
    try {
      const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), kube: async () => client });
      const out = await renewCertsStep.run(
        renewCertsStep.normalize!({
          nodes: [{ name: 'cp-a', transport: 'local' }, sshNode('cp-b')],
          kubernetesDir: pki.kubernetesDir,
          strategy: 'native',
          force: true,
          crictl: runtime.crictl,
          // One test client stands for the cluster of both nodes here.
          readyz: { via: 'cluster' },
        }),
        ctx,
      );
      expect(out.nodes.map((n) => [n.node, n.renewed.length])).toEqual([['cp-a', 11], ['cp-b', 11]]);
      expect(out.backups).toHaveLength(2);
      expect(out.backups[0]).toMatch(/-cp-a\.tar\.gz$/);
      expect(out.backups[1]).toMatch(/-cp-b\.tar\.gz$/);
      for (const b of out.backups) expect(existsSync(b)).toBe(true);
      // cp-b's renewal re-issued cp-a's fresh certificates (force): its "previous" serials are cp-a's new ones.
      expect(out.nodes[1]!.renewed[0]!.previousExpiry).toBe(out.nodes[0]!.renewed[0]!.newExpiry);
      expect(order).toEqual(['readyz after 4 stops', 'readyz after 8 stops']);
    } finally {
      pki.cleanup();
      runtime.cleanup();
    }
  }, 120_000);

  it('stops at the first failing node: later nodes are never touched', async () => {
    const pki = base.clone();
    const runtime = createFakeRuntime();
    try {
      const before = pki.hashTree();
      const bad = { ...sshNode('cp-bad'), knownHostsFile: sshd.wrongKnownHostsFile };
      const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }) });
      const error = (await renewCertsStep
        .run(renewCertsStep.normalize!({ nodes: [bad, { name: 'cp-ok' }], kubernetesDir: pki.kubernetesDir, strategy: 'native', crictl: runtime.crictl }), ctx)
        .catch((e: unknown) => e)) as StepError;
      expect(error.message).toMatch(/cp-bad: host key verification failed/);
      expect(pki.hashTree()).toEqual(before);
      expect(runtime.calls()).toEqual([]);
    } finally {
      pki.cleanup();
      runtime.cleanup();
    }
  }, 60_000);

  it('restores the backup when the run is cancelled in the middle of the writes', async () => {
    const pki = base.clone();
    const runtime = createFakeRuntime();
    try {
      const before = pki.hashTree();
      const controller = new AbortController();
      let writes = 0;
      const exec: Exec = async (file, args, options) => {
        if (file === 'sh' && String(args[1]).includes('mv -f "$t"') && ++writes === 4) {
          controller.abort(new CancelledError('interrupted by user', 'interrupted'));
        }
        return execProcess(file, args, options);
      };
      const ctx = createTestContext({ clock: new VirtualClock({ start: pki.now }), exec, signal: controller.signal });
      const error = (await renewCertsStep
        .run(renewCertsStep.normalize!({ nodes: [{ name: 'cp-1' }], kubernetesDir: pki.kubernetesDir, strategy: 'native', crictl: runtime.crictl }), ctx)
        .catch((e: unknown) => e)) as StepError;
      expect(error.message).toMatch(/restored from .*interrupted by user/);
      const after = pki.hashTree();
      const archives = Object.keys(after).filter((k) => k.includes('-backup-'));
      expect(archives).toHaveLength(1);
      delete after[archives[0]!];
      expect(after).toEqual(before);
      expect(runtime.calls()).toEqual([]);
    } finally {
      pki.cleanup();
      runtime.cleanup();
    }
  }, 60_000);
});
