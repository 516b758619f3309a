import { describe, expect, it } from 'vitest';
import {
  createNodeSelector,
  DEFAULT_CLIENT_REQUESTORS,
  evaluateClientCsr,
  readCsrRecord,
  type ClientPolicyEnv,
  type CheckId,
} from '../../src/csr/index.js';
import { clientCsr, type CsrFixture } from './fixtures.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const CREATED = Date.parse('2026-01-01T00:00:00Z');

function env(overrides: Partial<ClientPolicyEnv> = {}): ClientPolicyEnv {
  return {
    selector: createNodeSelector({ nodes: ['worker-0', { name: 'worker-1', addresses: ['10.0.0.11'] }] }),
    requestors: DEFAULT_CLIENT_REQUESTORS,
    now: NOW,
    maxAgeMs: 3_600_000,
    allowExistingNode: false,
    nodeExists: (name) => name === 'master-0',
    ...overrides,
  };
}

async function verdictFor(node: string, fixture: CsrFixture = {}, e: ClientPolicyEnv = env()) {
  return evaluateClientCsr(await readCsrRecord(await clientCsr(node, { createdAt: CREATED, ...fixture })), e);
}

describe('client CSR policy', () => {
  it.each(['ec-p256', 'ec-p384', 'rsa-2048'] as const)('approves a valid kubelet client CSR (%s)', async (keyType) => {
    expect(await verdictFor('worker-0', { keyType })).toEqual({ approve: true });
  });

  it('approves the key-encipherment usage variant and a kubeadm bootstrap token requestor', async () => {
    expect(await verdictFor('worker-1', { usages: ['digital signature', 'key encipherment', 'client auth'] })).toEqual({ approve: true });
    expect(
      await verdictFor('worker-1', { username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:authenticated'] }),
    ).toEqual({ approve: true });
  });

  const failures: [string, CheckId, CsrFixture, Partial<ClientPolicyEnv>, RegExp][] = [
    ['wrong signer', 'signer', { signerName: 'kubernetes.io/kube-apiserver-client' }, {}, /is not kubernetes.io\/kube-apiserver-client-kubelet/],
    ['requestor not a bootstrapper', 'requestor', { username: 'system:serviceaccount:default:builder' }, {}, /requestor system:serviceaccount:default:builder/],
    ['bootstrap token outside system:bootstrappers', 'requestor', { username: 'system:bootstrap:abcdef', groups: ['system:authenticated'] }, {}, /not an allowed bootstrapper/],
    ['PEM that does not parse', 'pem', { pem: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n' }, {}, /not a PKCS#10 request/],
    ['signature that does not verify', 'signature', { tamper: true }, {}, /signature does not verify/],
    ['O other than system:nodes', 'organization', { organizations: ['system:masters'] }, {}, /expected exactly \[system:nodes\]/],
    ['O with an extra group', 'organization', { organizations: ['system:nodes', 'system:masters'] }, {}, /system:nodes, system:masters/],
    ['CN not system:node:<name>', 'common-name', { commonName: 'worker-0' }, {}, /CN worker-0 is not system:node:<name>/],
    ['node not in the inventory', 'inventory', { commonName: 'system:node:intruder' }, {}, /intruder is not in the inventory/],
    ['a DNS SAN', 'sans', { dnsNames: ['worker-0'] }, {}, /no SANs \(found worker-0\)/],
    ['an IP SAN', 'sans', { ipAddresses: ['10.0.0.10'] }, {}, /found 10.0.0.10/],
    ['an email SAN', 'sans', { emails: ['a@example.com'] }, {}, /a@example.com/],
    ['a URI SAN', 'sans', { uris: ['spiffe://cluster/node'] }, {}, /spiffe/],
    ['server auth usage', 'usages', { usages: ['digital signature', 'server auth'] }, {}, /usages \[digital signature, server auth\]/],
    ['an extra usage', 'usages', { usages: ['digital signature', 'client auth', 'server auth'] }, {}, /are not/],
    ['RSA 1024', 'key', { keyType: 'rsa-1024' }, {}, /RSA key of 1024 bits/],
    ['EC P-521', 'key', { keyType: 'ec-p521' }, {}, /curve P-521/],
    ['a Node of that name exists', 'existing-node', { commonName: 'system:node:worker-0' }, { nodeExists: (n) => n === 'worker-0' }, /Node worker-0 already exists/],
    ['older than maxAge', 'max-age', { createdAt: NOW - 3_600_001 }, {}, /older than maxAge 60m/],
  ];

  it.each(failures)('refuses %s with check %s', async (_title, check, fixture, envOverride, reason) => {
    const verdict = await verdictFor('worker-0', fixture, env(envOverride));
    expect(verdict).toMatchObject({ approve: false, check, final: true });
    expect(verdict.approve === false && verdict.reason).toMatch(reason);
  });

  it('lets an existing Node through with allowExistingNode', async () => {
    expect(await verdictFor('worker-0', {}, env({ allowExistingNode: true, nodeExists: () => true }))).toEqual({ approve: true });
  });

  it('uses the clock it is given for the age (rotation window testable without waiting)', async () => {
    const record = await readCsrRecord(await clientCsr('worker-0', { createdAt: CREATED }));
    expect(evaluateClientCsr(record, env({ now: CREATED + 59 * 60_000 }))).toEqual({ approve: true });
    expect(evaluateClientCsr(record, env({ now: CREATED + 61 * 60_000 }))).toMatchObject({ check: 'max-age' });
  });

  it('with match, accepts only names matching the whole anchored regex', async () => {
    const selector = createNodeSelector({ match: 'worker-[0-9]+', count: 2 });
    expect(await verdictFor('worker-7', {}, env({ selector }))).toEqual({ approve: true });
    expect(await verdictFor('evil-worker-7', {}, env({ selector }))).toMatchObject({ check: 'inventory' });
  });
});
