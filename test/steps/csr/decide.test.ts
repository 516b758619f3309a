import { describe, expect, it } from 'vitest';
import { createNodeSelector, evaluateClientCsr, claimedClientNode, DEFAULT_CLIENT_REQUESTORS, readCsrRecord, CLIENT_SIGNER } from '../../../src/csr/index.js';
import { decideCsrs, type ApproveParams, type ApproverKind } from '../../../src/steps/csr/decide.js';
import { clientCsr } from '../../csr/fixtures.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const selector = createNodeSelector({ nodes: ['worker-0', 'worker-1'] });

const kind: ApproverKind = {
  kind: 'client',
  label: 'client',
  signer: CLIENT_SIGNER,
  nodeOf: claimedClientNode,
  claimsForeign: (r) => claimedClientNode(r) !== undefined,
  evaluate: (r) =>
    evaluateClientCsr(r, {
      selector,
      requestors: DEFAULT_CLIENT_REQUESTORS,
      now: T0 + 40 * 60_000,
      maxAgeMs: 3_600_000,
      allowExistingNode: false,
      nodeExists: () => false,
    }),
};

function params(overrides: Partial<ApproveParams> = {}): ApproveParams {
  return { nodes: [], count: 2, identity: 'inventory', deny: false, supersede: 'approve', concurrency: 16, ...overrides };
}

async function rotatedCsrs() {
  // worker-0 rotated twice (three CSRs 15 minutes apart), worker-1 once, plus one rogue.
  return Promise.all([
    clientCsr('worker-0', { name: 'a-old', createdAt: T0 }),
    clientCsr('worker-0', { name: 'a-mid', createdAt: T0 + 15 * 60_000 }),
    clientCsr('worker-0', { name: 'a-new', createdAt: T0 + 30 * 60_000 }),
    clientCsr('worker-1', { name: 'b-new', createdAt: T0 + 5 * 60_000 }),
    clientCsr('worker-1', { name: 'rogue', username: 'system:anonymous', createdAt: T0 }),
  ]).then((objects) => Promise.all(objects.map(readCsrRecord)));
}

describe('decideCsrs', () => {
  it('approves every valid duplicate by default and refuses the rogue', async () => {
    const decisions = decideCsrs(await rotatedCsrs(), kind, params(), new Set());
    expect(decisions.approve.map((r) => r.name).sort()).toEqual(['a-mid', 'a-new', 'a-old', 'b-new']);
    expect(decisions.supersede).toEqual([]);
    expect(decisions.refused.map((r) => [r.record.name, r.check])).toEqual([['rogue', 'requestor']]);
  });

  it('with supersede: deny approves the newest CSR of a node and supersedes the older ones', async () => {
    const decisions = decideCsrs(await rotatedCsrs(), kind, params({ supersede: 'deny' }), new Set());
    expect(decisions.approve.map((r) => r.name).sort()).toEqual(['a-new', 'b-new']);
    expect(decisions.supersede.map((s) => [s.record.name, s.by])).toEqual([
      ['a-old', 'a-new'],
      ['a-mid', 'a-new'],
    ]);
  });

  it('never re-evaluates settled CSRs and counts approved ones per node', async () => {
    const records = await rotatedCsrs();
    records.find((r) => r.name === 'a-old')!.state = 'approved';
    const settled = new Set(records.filter((r) => r.name === 'rogue').map((r) => r.uid));
    const decisions = decideCsrs(records, kind, params(), settled);
    expect(decisions.refused).toEqual([]);
    expect([...decisions.approvedByNode.keys()]).toEqual(['worker-0']);
    expect(decisions.approve.map((r) => r.name).sort()).toEqual(['a-mid', 'a-new', 'b-new']);
  });

  it('with supersede: deny, pending CSRs older than an approved one are superseded, not approved', async () => {
    const records = await rotatedCsrs();
    records.find((r) => r.name === 'a-new')!.state = 'approved';
    const decisions = decideCsrs(records, kind, params({ supersede: 'deny' }), new Set());
    expect(decisions.approve.map((r) => r.name)).toEqual(['b-new']);
    expect(decisions.supersede.map((s) => s.record.name).sort()).toEqual(['a-mid', 'a-old']);
  });
});
