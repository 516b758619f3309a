// One pass over the CSRs as they are now: what to approve, what to refuse (and why), what a newer CSR supersedes.

import { type CsrKind, type CsrRecord, type CheckId, type Verdict, CLIENT_SIGNER, SERVING_SIGNER, readSignerName } from '../../csr/index.js';
import type { KubeObject } from '../../k8s/types.js';
import type { ParamsFilled } from '../params-type.js';
import type { ApproveSchema } from './approve-params.js';
import type { WithSelector } from './params.js';

/** What differs between the client and the serving approver. */
export interface ApproverKind {
  kind: CsrKind;
  /** "client" or "serving", for messages. */
  label: string;
  signer: string;
  /** The node a CSR is for (CN for client CSRs, requestor for serving ones). */
  nodeOf(record: CsrRecord): string | undefined;
  /** For CSRs of a foreign signer: does this step report them (they impersonate its kind)? */
  claimsForeign(record: CsrRecord): boolean;
  evaluate(record: CsrRecord): Verdict;
  /**
   * Whether a failed check only says the CSR is stale (a rotation leftover), so a newer approved CSR of its node may
   * supersede it. Identity checks never are. @default only `max-age`
   */
  isStale?(record: CsrRecord, check: CheckId): boolean;
}

/**
 * The selector plus what both approve steps share, derived from their schema: `deny` (refused CSRs denied with the
 * reason instead of left pending, default false), `supersede` (`deny`: older duplicates denied once a newer CSR of the
 * node is approved, default 'approve') and `concurrency` (approvals in flight at once, default 16).
 */
export type ApproveParams = WithSelector<ParamsFilled<ApproveSchema>>;

export interface Refusal {
  record: CsrRecord;
  node: string;
  check: CheckId;
  reason: string;
  /** false for CSRs refused only because their node's identity never became known (left pending, never denied). */
  final: boolean;
}

/** A CSR that passed every check it could, and cannot be checked further until `waitingFor` (e.g. its Node registers). */
export interface Waiting {
  record: CsrRecord;
  node: string;
  check: CheckId;
  reason: string;
  /** Reads after "waits for": "its Node to register". */
  waitingFor: string;
}

export interface Decisions {
  approve: CsrRecord[];
  /** Older duplicates (valid, or refused only as stale) to deny once `by` is approved (supersede: deny). */
  supersede: { record: CsrRecord; by: string }[];
  /** Failed a check: refused now, whatever happens later. */
  refused: Refusal[];
  /** Not verifiable yet: neither approved nor refused; evaluated again on the next pass. */
  waiting: Waiting[];
  /** Node → approved CSRs of this kind (any approver). */
  approvedByNode: Map<string, CsrRecord[]>;
}

const KUBELET_SIGNERS = new Set([CLIENT_SIGNER, SERVING_SIGNER]);

/** CSR objects a step of this kind must read (its own signer, plus foreign signers that may impersonate it). */
export function selectCsrObjects(objects: KubeObject[], kind: Pick<ApproverKind, 'signer'>): KubeObject[] {
  return objects.filter((o) => {
    const signer = readSignerName(o);
    return signer === kind.signer || !KUBELET_SIGNERS.has(signer);
  });
}

const byAge = (a: CsrRecord, b: CsrRecord) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || a.name.localeCompare(b.name);

/**
 * Decide every pending CSR. `skip` holds CSRs already settled (in flight, or finally refused) that must not be
 * evaluated for approval again, so a refusal is never turned into an approval later; with supersede: deny a settled
 * stale refusal may still be superseded by a newer approval.
 */
export function decideCsrs(records: CsrRecord[], kind: ApproverKind, params: ApproveParams, skip: ReadonlySet<string>): Decisions {
  const decisions: Decisions = { approve: [], supersede: [], refused: [], waiting: [], approvedByNode: new Map() };
  const valid = new Map<string, CsrRecord[]>();
  // Refused only for staleness, per node: superseded if an approved CSR of the node is newer, else refusals as usual.
  const stale = new Map<string, { record: CsrRecord; refusal?: Refusal }[]>();
  const superseding = params.supersede === 'deny';
  const isStale = kind.isStale ?? ((_record: CsrRecord, check: CheckId) => check === 'max-age');
  for (const record of records) {
    const ours = record.signerName === kind.signer;
    if (!ours && !kind.claimsForeign(record)) continue;
    const node = kind.nodeOf(record);
    if (record.state === 'approved') {
      if (ours && node) push(decisions.approvedByNode, node, record);
      continue;
    }
    if (record.state !== 'pending') continue;
    const settled = skip.has(record.uid);
    if (settled && !(superseding && ours && node)) continue;
    const verdict = kind.evaluate(record);
    const staleOnly = superseding && ours && node !== undefined && !verdict.approve && verdict.final && isStale(record, verdict.check);
    if (settled) {
      if (staleOnly) push(stale, node, { record });
      continue;
    }
    if (verdict.approve) push(valid, node!, record);
    else if (verdict.final) {
      const refusal: Refusal = { record, node: node ?? '', check: verdict.check, reason: verdict.reason, final: true };
      if (staleOnly) push(stale, node, { record, refusal });
      else decisions.refused.push(refusal);
    } else decisions.waiting.push({ record, node: node ?? '', check: verdict.check, reason: verdict.reason, waitingFor: verdict.waitingFor ?? 'the node identity' });
  }
  if (!superseding) {
    for (const pending of valid.values()) decisions.approve.push(...pending.sort(byAge));
    return decisions;
  }
  for (const node of new Set([...valid.keys(), ...stale.keys()])) {
    const pending = (valid.get(node) ?? []).sort(byAge);
    const approved = [...(decisions.approvedByNode.get(node) ?? [])].sort(byAge);
    const newestApproved = approved.at(-1);
    const newest = pending.at(-1);
    const winner = newestApproved && (!newest || byAge(newestApproved, newest) > 0) ? newestApproved : newest;
    if (newest && winner === newest) decisions.approve.push(newest);
    for (const record of pending) if (record !== winner) decisions.supersede.push({ record, by: winner!.name });
    for (const { record, refusal } of (stale.get(node) ?? []).sort((a, b) => byAge(a.record, b.record))) {
      if (winner && byAge(record, winner) < 0) decisions.supersede.push({ record, by: winner.name });
      else if (refusal) decisions.refused.push(refusal);
    }
  }
  return decisions;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
