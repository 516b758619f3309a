import { describe, expect, it } from 'vitest';
import {
  createNodeSelector,
  evaluateServerCsr,
  readCsrRecord,
  resolveNodeIdentity,
  type CheckId,
  type ClusterIdentityData,
  type IdentitySource,
  type ServerPolicyEnv,
} from '../../src/csr/index.js';
import { servingCsr, type CsrFixture } from './fixtures.js';

const selector = createNodeSelector({
  nodes: ['worker-0', { name: 'worker-1', addresses: ['10.0.0.11', 'fd00::11'], hostnames: ['worker-1.example.com'] }],
});

const cluster: ClusterIdentityData = {
  nodes: new Map([
    ['worker-0', [{ type: 'InternalIP', address: '10.0.0.10' }, { type: 'Hostname', address: 'worker-0' }]],
    ['worker-1', [{ type: 'InternalIP', address: '10.0.0.11' }, { type: 'Hostname', address: 'worker-1' }]],
  ]),
  machines: [
    { name: 'machine-a', nodeRef: 'worker-0', addresses: [{ type: 'InternalIP', address: '10.1.0.10' }, { type: 'InternalDNS', address: 'worker-0.internal' }] },
  ],
};

function env(source: IdentitySource = 'inventory', data: ClusterIdentityData = cluster): ServerPolicyEnv {
  return { selector, identityOf: (name) => resolveNodeIdentity(selector, source, data, name) };
}

async function verdictFor(node: string, fixture: CsrFixture = {}, e = env()) {
  return evaluateServerCsr(await readCsrRecord(await servingCsr(node, fixture)), e);
}

describe('serving CSR policy', () => {
  it.each(['ec-p256', 'ec-p384', 'rsa-2048'] as const)('approves a valid serving CSR (%s)', async (keyType) => {
    expect(await verdictFor('worker-0', { keyType })).toEqual({ approve: true });
  });

  it('accepts inventory hostnames/addresses on top of the Node addresses, and key encipherment', async () => {
    const fixture = {
      dnsNames: ['worker-1', 'worker-1.example.com'],
      ipAddresses: ['10.0.0.11', 'fd00:0:0:0:0:0:0:11'],
      usages: ['digital signature', 'key encipherment', 'server auth'],
    };
    expect(await verdictFor('worker-1', fixture)).toEqual({ approve: true });
  });

  it('accepts a CSR with only an IP SAN', async () => {
    expect(await verdictFor('worker-0', { dnsNames: [] })).toEqual({ approve: true });
  });

  const failures: [string, CheckId, CsrFixture, RegExp][] = [
    ['wrong signer', 'signer', { signerName: 'kubernetes.io/legacy-unknown' }, /is not kubernetes.io\/kubelet-serving/],
    ['requestor that is not a node', 'requestor', { username: 'system:serviceaccount:default:builder' }, /is not system:node:<name>/],
    ['requestor node not in the inventory', 'inventory', { username: 'system:node:intruder', commonName: 'system:node:intruder' }, /intruder is not in the inventory/],
    ['groups without system:nodes', 'groups', { groups: ['system:authenticated'] }, /do not include system:nodes/],
    ['PEM that does not parse', 'pem', { pem: 'garbage' }, /not a PKCS#10 request/],
    ['signature that does not verify', 'signature', { tamper: true }, /does not verify/],
    ['CN different from the requestor', 'common-name', { commonName: 'system:node:worker-1' }, /differs from the requestor system:node:worker-0/],
    ['O other than system:nodes', 'organization', { organizations: ['system:masters'] }, /expected exactly/],
    ['client auth usage', 'usages', { usages: ['digital signature', 'client auth'] }, /are not \{digital signature, server auth\}/],
    ['no SAN at all', 'sans', { dnsNames: [], ipAddresses: [] }, /at least one DNS or IP SAN/],
    ['an email SAN', 'sans', { emails: ['root@example.com'] }, /only DNS and IP SANs \(found root@example.com\)/],
    ['a URI SAN', 'sans', { uris: ['https://evil.example.com'] }, /evil.example.com/],
    ["another node's hostname", 'dns-identity', { dnsNames: ['worker-1'] }, /DNS SAN worker-1 is not a hostname of node worker-0/],
    ["another node's IP", 'ip-identity', { ipAddresses: ['10.0.0.11'] }, /IP SAN 10.0.0.11 is not an address of node worker-0/],
    ['RSA 1024', 'key', { keyType: 'rsa-1024' }, /RSA key of 1024 bits/],
    ['EC P-521', 'key', { keyType: 'ec-p521' }, /P-521/],
  ];

  it.each(failures)('refuses %s with check %s', async (_title, check, fixture, reason) => {
    const verdict = await verdictFor('worker-0', fixture);
    expect(verdict).toMatchObject({ approve: false, check, final: true });
    expect(verdict.approve === false && verdict.reason).toMatch(reason);
  });

  it('refuses provisionally (not final) while the Node is not registered yet', async () => {
    const empty: ClusterIdentityData = { nodes: new Map(), machines: [] };
    expect(await verdictFor('worker-0', {}, env('inventory', empty))).toMatchObject({
      check: 'dns-identity',
      final: false,
      waitingFor: 'its Node to register',
      reason: 'DNS SAN worker-0 is not among the hostnames known so far for node worker-0 (per inventory; Node not registered yet)',
    });
  });

  it('refuses provisionally while the Node has no addresses yet', async () => {
    const noAddresses: ClusterIdentityData = { nodes: new Map([['worker-0', []]]), machines: [] };
    expect(await verdictFor('worker-0', {}, env('inventory', noAddresses))).toMatchObject({
      check: 'dns-identity',
      final: false,
      waitingFor: 'its Node to report its addresses',
    });
  });

  it('refuses a weak key at once, even while the Node is not registered yet', async () => {
    const empty: ClusterIdentityData = { nodes: new Map(), machines: [] };
    expect(await verdictFor('worker-0', { keyType: 'rsa-1024' }, env('inventory', empty))).toMatchObject({ check: 'key', final: true });
  });

  it('with identity: machines, checks against the Machine addresses instead of the Node', async () => {
    const machineOk = { dnsNames: ['worker-0.internal'], ipAddresses: ['10.1.0.10'] };
    expect(await verdictFor('worker-0', machineOk, env('machines'))).toEqual({ approve: true });
    expect(await verdictFor('worker-0', {}, env('machines'))).toMatchObject({ check: 'dns-identity' });
    expect(await verdictFor('worker-1', { dnsNames: ['worker-1'], ipAddresses: ['10.0.0.11'] }, env('machines'))).toMatchObject({
      check: 'dns-identity',
      final: false,
      reason: expect.stringMatching(/no Machine for this node/),
    });
  });
});
