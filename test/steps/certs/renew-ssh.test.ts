// renew-certs and cert-expiry over the real ssh transport to a real sshd, on an openssl-built PKI: the files must be
// real ones that sshd serves (modes, sudo-less reads), which a simulated node (in-process transport) cannot stand for.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { renewCertsStep } from '../../../src/steps/certs/renew-certs.js';
import { certExpiryStep } from '../../../src/steps/certs/cert-expiry.js';
import { StepError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { createPkiFixture, type PkiFixture } from '../../helpers/pki-fixture.js';
import { startSshd, type TestSshd } from '../../helpers/sshd.js';
import { createTestContext } from './context.js';
import { openssl } from './renew-setup.js';

let pki: PkiFixture;
let sshd: TestSshd;

beforeAll(async () => {
  [pki, sshd] = await Promise.all([createPkiFixture(), startSshd()]);
});
afterAll(async () => {
  pki?.cleanup();
  await sshd?.stop();
});

const sshNode = (extra: Record<string, unknown> = {}) => ({
  name: 'cp-ssh',
  transport: 'ssh' as const,
  host: sshd.host,
  port: sshd.port,
  user: sshd.user,
  identityFile: sshd.identityFile,
  knownHostsFile: sshd.knownHostsFile,
  ...extra,
});

describe('certs steps over ssh', () => {
  it('checks expiry and renews natively through the ssh transport, then cert-expiry sees the new dates', async () => {
    const clock = new VirtualClock({ start: pki.now });
    const before = await certExpiryStep.run(
      certExpiryStep.normalize!({ nodes: [sshNode()], kubernetesDir: pki.kubernetesDir, kubeletPkiDir: pki.kubeletPkiDir }),
      createTestContext({ clock }),
    );
    expect(before.expired).toBe(10);

    const ctx = createTestContext({ clock });
    const out = await renewCertsStep.run(
      renewCertsStep.normalize!({
        nodes: [sshNode()],
        kubernetesDir: pki.kubernetesDir,
        strategy: 'native',
        restart: { enabled: false },
        readyz: { enabled: false },
      }),
      ctx,
    );
    // No renewWithin: everything, like `kubeadm certs renew all`.
    expect(out.renewed).toBe(11);
    expect(out.backups[0]).toMatch(/^\/.*kubernetes-backup-.*\.tar\.gz$/);
    expect(openssl('verify', '-CAfile', join(pki.kubernetesDir, 'pki/ca.crt'), join(pki.kubernetesDir, 'pki/apiserver.crt')).trim()).toMatch(/: OK$/);

    const after = await certExpiryStep.run(
      certExpiryStep.normalize!({ nodes: [sshNode()], kubernetesDir: pki.kubernetesDir, kubeletPkiDir: pki.kubeletPkiDir, certificates: ['control-plane', 'ca'], failWithin: '300d' }),
      createTestContext({ clock }),
    );
    expect(after.expired).toBe(0);
  }, 90_000);

  it('refuses a node whose host key does not match, before touching anything', async () => {
    const before = pki.hashTree();
    const error = (await renewCertsStep
      .run(renewCertsStep.normalize!({ nodes: [sshNode({ knownHostsFile: sshd.wrongKnownHostsFile })], kubernetesDir: pki.kubernetesDir, strategy: 'native' }), createTestContext())
      .catch((e: unknown) => e)) as StepError;
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toMatch(/host key verification failed/);
    expect(pki.hashTree()).toEqual(before);
  }, 30_000);
});
