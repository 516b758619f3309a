import { describe, expect, it } from 'vitest';
import { createNodeSelector, evaluateClientCsr, claimedClientNode, DEFAULT_CLIENT_REQUESTORS, readCsrRecord, CLIENT_SIGNER } from '../../../src/csr/index.js';
import { decideCsrs, type ApproveParams, type ApproverKind } from '../../../src/steps/csr/decide.js';
import { clientApprover } from '../../../src/steps/csr/approve-client-csrs.js';
import { buildWorld } from '../../../src/steps/csr/state.js';
import type { KubeObject } from '../../../src/k8s/types.js';
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

describe('decideCsrs with supersede: deny and stale duplicates', () => {
  const MIN = 60_000;
  const inventory = createNodeSelector({ nodes: ['worker-0', 'worker-1'] });

  /** The real client approver, deciding at `now` with the given Nodes and this run's own client approvals. */
  function clientKind(now: number, nodes: KubeObject[] = [], own: Map<string, number> = new Map()): ApproverKind {
    const world = buildWorld(nodes, [], inventory, now, own);
    return clientApprover.create(
      { ...params(), requestors: DEFAULT_CLIENT_REQUESTORS, maxAgeMs: 60 * MIN, allowExistingNode: false },
      world,
    );
  }
  const read = (objects: Promise<KubeObject>[]) => Promise.all(objects).then((o) => Promise.all(o.map(readCsrRecord)));
  const names = (d: ReturnType<typeof decideCsrs>) => ({
    approve: d.approve.map((r) => r.name),
    supersede: d.supersede.map((s) => [s.record.name, s.by]),
    refused: d.refused.map((r) => [r.record.name, r.check]),
  });

  it('supersedes an older duplicate past maxAge once the newer CSR of its node is approved', async () => {
    const records = await read([clientCsr('worker-0', { name: 'old', createdAt: T0 }), clientCsr('worker-0', { name: 'new', createdAt: T0 + 65 * MIN })]);
    const kind = clientKind(T0 + 70 * MIN);
    expect(names(decideCsrs(records, kind, params({ supersede: 'deny' }), new Set()))).toEqual({
      approve: ['new'],
      supersede: [['old', 'new']],
      refused: [],
    });
    // Without supersede: deny it stays a refusal, left pending.
    expect(names(decideCsrs(records, kind, params(), new Set()))).toEqual({ approve: ['new'], supersede: [], refused: [['old', 'max-age']] });
  });

  it('supersedes a stale CSR refused in an earlier pass once a newer one is approved', async () => {
    const records = await read([clientCsr('worker-0', { name: 'old', createdAt: T0 }), clientCsr('worker-0', { name: 'new', createdAt: T0 + 65 * MIN })]);
    const old = records.find((r) => r.name === 'old')!;
    const decisions = decideCsrs(records, clientKind(T0 + 70 * MIN), params({ supersede: 'deny' }), new Set([old.uid]));
    expect(names(decisions)).toEqual({ approve: ['new'], supersede: [['old', 'new']], refused: [] });
    // Already approved (by anyone): the settled stale CSR is superseded by it.
    records.find((r) => r.name === 'new')!.state = 'approved';
    expect(names(decideCsrs(records, clientKind(T0 + 70 * MIN), params({ supersede: 'deny' }), new Set([old.uid])))).toEqual({
      approve: [],
      supersede: [['old', 'new']],
      refused: [],
    });
  });

  it('never supersedes CSRs of another node, identity failures, or stale CSRs with no newer approval', async () => {
    const records = await read([
      clientCsr('worker-0', { name: 'old', createdAt: T0 }),
      clientCsr('worker-0', { name: 'rogue-old', username: 'system:anonymous', createdAt: T0 + 1 * MIN }),
      clientCsr('worker-0', { name: 'rsa-old', keyType: 'rsa-1024', createdAt: T0 + 2 * MIN }),
      clientCsr('worker-0', { name: 'new', createdAt: T0 + 65 * MIN }),
      clientCsr('worker-1', { name: 'other-old', createdAt: T0 }),
    ]);
    const decisions = decideCsrs(records, clientKind(T0 + 70 * MIN), params({ supersede: 'deny' }), new Set());
    expect(names(decisions)).toEqual({
      approve: ['new'],
      supersede: [['old', 'new']],
      refused: [
        ['rogue-old', 'requestor'],
        ['rsa-old', 'key'],
        ['other-old', 'max-age'],
      ],
    });
  });

  it('supersedes an existing-node refusal only when this run approved that node', async () => {
    // worker-0 registered at T0+10m; "mid" came after it, "new" (newest) is approved.
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-0', creationTimestamp: new Date(T0 + 10 * MIN).toISOString() } } as KubeObject;
    const records = await read([clientCsr('worker-0', { name: 'mid', createdAt: T0 + 20 * MIN }), clientCsr('worker-0', { name: 'new', createdAt: T0 + 30 * MIN })]);
    records.find((r) => r.name === 'new')!.state = 'approved';
    const ours = decideCsrs(records, clientKind(T0 + 40 * MIN, [node], new Map([['worker-0', T0 + 31 * MIN]])), params({ supersede: 'deny' }), new Set());
    expect(names(ours)).toEqual({ approve: [], supersede: [['mid', 'new']], refused: [] });
    const someoneElses = decideCsrs(records, clientKind(T0 + 40 * MIN, [node]), params({ supersede: 'deny' }), new Set());
    expect(names(someoneElses)).toEqual({ approve: [], supersede: [], refused: [['mid', 'existing-node']] });
  });
});
