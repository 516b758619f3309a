// What one approval attempt reads and remembers: the CSRs of a pass, the world it decides in, its own writes.

import type { KubeObject } from '../../k8s/types.js';
import { type CsrKind, type CsrRecord, type NodeSelector, readCsrRecords, type ClusterIdentityData } from '../../csr/index.js';
import { readIdentityData } from './cluster-view.js';
import { runMarker } from './conditions.js';
import { toRefusedOutput, type RefusedOutput } from './report.js';
import { selectCsrObjects, type ApproveParams, type ApproverKind, type Refusal, type Waiting } from './decide.js';

/** The cluster as one pass sees it. */
export interface World {
  selector: NodeSelector;
  now: number;
  nodes: Map<string, KubeObject>;
  /** Node and Machine addresses, read on first use (client CSRs never need them). */
  identity(): ClusterIdentityData;
  /** Nodes whose client CSR this run approved → when (clock ms; 0 when learnt from the cluster). */
  ownClientApprovals: Map<string, number>;
}

export interface ApproverFactory<P extends ApproveParams> {
  kind: CsrKind;
  label: string;
  signer: string;
  needsMachines(params: P): boolean;
  create(params: P, world: World): ApproverKind;
}

export interface ApproveOutputs {
  /** CSRs this step approved in this run (across its retries). */
  approved: string[];
  /** Node → its approved CSRs of this kind, whoever approved them. */
  nodes: Record<string, string[]>;
  refused: RefusedOutput[];
  /** CSRs this step denied (refused with deny: true, or superseded). */
  denied: string[];
  superseded: string[];
  [key: string]: unknown;
}

export type LocalState = 'approved' | 'denied';

/** What one attempt remembers between passes. */
export interface AttemptState {
  /** Our writes, until the watch reflects them. */
  local: Map<string, LocalState>;
  /** CSRs never to evaluate again: in flight, written, or finally refused. */
  settled: Set<string>;
  refusals: Map<string, Refusal>;
  /** CSRs the last pass could not verify yet (their node's identity is incomplete); not refusals while the step runs. */
  waiting: Waiting[];
  approved: Set<string>;
  denied: Set<string>;
  superseded: Set<string>;
  ownClientApprovals: Map<string, number>;
}

export interface Pass {
  records: CsrRecord[];
  /** The pending CSRs' objects, which a write sends back; decided CSRs' are not kept (the watch replaces them). */
  objects: Map<string, KubeObject>;
}

export async function readPass(objects: KubeObject[], kind: { signer: string }, local: Map<string, LocalState>): Promise<Pass> {
  const selected = selectCsrObjects(objects, kind);
  // Records are shared with the cache, so our own not-yet-watched writes are applied to copies.
  const records = (await readCsrRecords(selected)).map((record) => {
    const override = local.get(record.uid);
    return override && record.state === 'pending' ? { ...record, state: override } : record;
  });
  const byUid = new Map<string, KubeObject>();
  // Only what may still be written: holding every CSR's object would keep thousands of replaced versions alive.
  records.forEach((record, i) => {
    if (record.state === 'pending') byUid.set(record.uid, selected[i]!);
  });
  return { records, objects: byUid };
}

export function stepMarker(ctx: { runId: string; stepId: string }): string {
  return `${runMarker(ctx.runId)} (step ${ctx.stepId})`;
}

export function buildWorld(nodes: KubeObject[], machines: KubeObject[], selector: NodeSelector, now: number, own: Map<string, number>): World {
  let identity: ClusterIdentityData | undefined;
  return {
    selector,
    now,
    nodes: new Map(nodes.map((n) => [n.metadata.name ?? '', n])),
    identity: () => (identity ??= readIdentityData(nodes, machines)),
    ownClientApprovals: own,
  };
}

/** Learn from the cluster what this run already approved (earlier attempts, resume) so it is never redone. */
export function learnFromCluster(pass: Pass, kind: ApproverKind, ctx: { runId: string; stepId: string }, state: AttemptState): void {
  const run = `${runMarker(ctx.runId)} (`;
  const step = stepMarker(ctx);
  for (const record of pass.records) {
    if (record.state !== 'approved' || record.signerName !== kind.signer) continue;
    const message = record.approvalMessage ?? '';
    if (message.includes(step)) state.approved.add(record.name);
    const node = kind.nodeOf(record);
    if (kind.kind === 'client' && node && message.includes(run) && !state.ownClientApprovals.has(node)) {
      state.ownClientApprovals.set(node, 0);
    }
  }
}

export function newAttemptState(): AttemptState {
  return {
    local: new Map(),
    settled: new Set(),
    refusals: new Map(),
    waiting: [],
    approved: new Set(),
    denied: new Set(),
    superseded: new Set(),
    ownClientApprovals: new Map(),
  };
}

/** Refusals of CSRs that were not approved or decided by someone else later. */
export function pendingRefusals(state: AttemptState): Refusal[] {
  return [...state.refusals.values()].filter((r) => state.local.get(r.record.uid) !== 'approved');
}

/** Node → approved CSR names of this kind (cluster state merged with our own writes). */
export function collectApprovedByNode(records: CsrRecord[], kind: ApproverKind, state: AttemptState): Map<string, string[]> {
  const approved = new Map<string, string[]>();
  for (const record of records) {
    if (record.signerName !== kind.signer) continue;
    const isApproved = record.state === 'approved' || state.local.get(record.uid) === 'approved';
    const node = kind.nodeOf(record);
    if (!isApproved || !node) continue;
    approved.set(node, [...(approved.get(node) ?? []), record.name]);
  }
  return approved;
}

export function buildOutputs(state: AttemptState, approvedByNode: Map<string, string[]>): ApproveOutputs {
  return {
    approved: [...state.approved].sort(),
    nodes: Object.fromEntries([...approvedByNode].sort(([a], [b]) => a.localeCompare(b))),
    refused: pendingRefusals(state).map((r) => toRefusedOutput(r, state.denied)),
    denied: [...state.denied].sort(),
    superseded: [...state.superseded].sort(),
  };
}
