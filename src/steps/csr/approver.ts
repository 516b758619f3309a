// The approval loop both approve steps share: watch, decide, approve (bounded), deny if asked, until every node is done.

import { setMaxListeners } from 'node:events';
import { StepError, toStepError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import type { CsrKind, CsrRecord, NodeSelector } from '../../csr/types.js';
import { readCsrRecord } from '../../csr/record.js';
import { findMissingNodes } from '../../csr/inventory.js';
import type { ClusterIdentityData } from '../../csr/identity.js';
import type { PlanContext, PlanPreview, StepContext } from '../types.js';
import { abortError, MACHINE_NAMESPACE, readIdentityData, startClusterView, stopWaitingAt } from './cluster-view.js';
import { APPROVE_REASON, DENY_REASON, runMarker, writeCsrCondition } from './conditions.js';
import { decideCsrs, selectCsrObjects, type ApproveParams, type ApproverKind, type Decisions, type Refusal } from './decide.js';
import { buildSelector } from './params.js';
import { runBounded } from './pool.js';
import { buildDecisionTable, buildRefusalTable, describeApproveProgress, toRefusedOutput, type RefusedOutput } from './report.js';

/** The cluster as one pass sees it. */
export interface World {
  selector: NodeSelector;
  now: number;
  nodes: Map<string, KubeObject>;
  identity: ClusterIdentityData;
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

type LocalState = 'approved' | 'denied';

/** What one attempt remembers between passes. */
interface AttemptState {
  /** Our writes, until the watch reflects them. */
  local: Map<string, LocalState>;
  /** CSRs never to evaluate again: in flight, written, or finally refused. */
  settled: Set<string>;
  refusals: Map<string, Refusal>;
  approved: Set<string>;
  denied: Set<string>;
  superseded: Set<string>;
  ownClientApprovals: Map<string, number>;
}

interface Pass {
  records: CsrRecord[];
  objects: Map<string, KubeObject>;
}

async function readPass(objects: KubeObject[], kind: { signer: string }, local: Map<string, LocalState>): Promise<Pass> {
  const selected = selectCsrObjects(objects, kind as ApproverKind);
  const records = await Promise.all(selected.map(readCsrRecord));
  const byUid = new Map<string, KubeObject>();
  records.forEach((record, i) => {
    byUid.set(record.uid, selected[i]!);
    const override = local.get(record.uid);
    if (override && record.state === 'pending') record.state = override;
  });
  return { records, objects: byUid };
}

function stepMarker(ctx: { runId: string; stepId: string }): string {
  return `${runMarker(ctx.runId)} (step ${ctx.stepId})`;
}

function buildWorld(nodes: KubeObject[], machines: KubeObject[], selector: NodeSelector, now: number, own: Map<string, number>): World {
  return {
    selector,
    now,
    nodes: new Map(nodes.map((n) => [n.metadata.name ?? '', n])),
    identity: readIdentityData(nodes, machines),
    ownClientApprovals: own,
  };
}

/** Learn from the cluster what this run already approved (earlier attempts, resume) so it is never redone. */
function learnFromCluster(pass: Pass, kind: ApproverKind, ctx: { runId: string; stepId: string }, state: AttemptState): void {
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

function newAttemptState(): AttemptState {
  return {
    local: new Map(),
    settled: new Set(),
    refusals: new Map(),
    approved: new Set(),
    denied: new Set(),
    superseded: new Set(),
    ownClientApprovals: new Map(),
  };
}

export async function runApprover<P extends ApproveParams>(factory: ApproverFactory<P>, params: P, ctx: StepContext): Promise<ApproveOutputs> {
  const kube = await ctx.kube();
  const selector = buildSelector(params);
  const giveUpAt = stopWaitingAt(ctx);
  const view = await startClusterView(kube, {
    csrs: true,
    nodes: true,
    machines: factory.needsMachines(params),
    clock: ctx.clock,
    signal: ctx.signal,
  });
  const state = newAttemptState();
  try {
    for (;;) {
      const since = view.version;
      const pass = await readPass(view.csrs(), factory, state.local);
      const world = buildWorld(view.nodes(), view.machines(), selector, ctx.clock.now(), state.ownClientApprovals);
      const kind = factory.create(params, world);
      learnFromCluster(pass, kind, ctx, state);
      const decisions = decideCsrs(pass.records, kind, params, state.settled);
      for (const refusal of decisions.refused) {
        state.refusals.set(refusal.record.uid, refusal);
        if (refusal.final) state.settled.add(refusal.record.uid);
      }
      await applyDecisions(kube, pass, decisions, kind, params, state, ctx);
      const approved = collectApprovedByNode(pass.records, kind, state);
      const { done, missing } = findMissingNodes(selector, approved.keys());
      ctx.progress(describeApproveProgress(factory.label, selector, approved, missing, pendingRefusals(state).length));
      if (done) return buildOutputs(state, approved);
      const woke = await view.waitForChange(since, giveUpAt, ctx.signal).catch((error: unknown) => {
        throw ctx.signal.aborted ? timeoutError(factory.label, missing, state, abortError(ctx.signal)) : error;
      });
      if (woke === 'deadline') throw timeoutError(factory.label, missing, state);
    }
  } finally {
    view.stop();
    const refusals = pendingRefusals(state);
    if (refusals.length > 0) ctx.report(buildRefusalTable(factory.label, refusals, state.denied));
  }
}

/** Refusals of CSRs that were not approved or decided by someone else later. */
function pendingRefusals(state: AttemptState): Refusal[] {
  return [...state.refusals.values()].filter((r) => state.local.get(r.record.uid) !== 'approved');
}

/** Node → approved CSR names of this kind (cluster state merged with our own writes). */
function collectApprovedByNode(records: CsrRecord[], kind: ApproverKind, state: AttemptState): Map<string, string[]> {
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

function buildOutputs(state: AttemptState, approvedByNode: Map<string, string[]>): ApproveOutputs {
  return {
    approved: [...state.approved].sort(),
    nodes: Object.fromEntries([...approvedByNode].sort(([a], [b]) => a.localeCompare(b))),
    refused: pendingRefusals(state).map((r) => toRefusedOutput(r, state.denied)),
    denied: [...state.denied].sort(),
    superseded: [...state.superseded].sort(),
  };
}

function timeoutError(label: string, missing: string[], state: AttemptState, cause?: Error): StepError {
  const refusals = pendingRefusals(state);
  const forMissing = refusals.filter((r) => missing.includes(r.node));
  const why = forMissing.length > 0 ? `; refused for them: ${forMissing.map((r) => `${r.record.name} (${r.node}): ${r.reason}`).join('; ')}` : '';
  const message = `no approved ${label} CSR for ${missing.join(', ')}${why}`;
  // A run-level cancel (Ctrl-C) keeps its own error; a timeout or deadline gets the nodes named.
  if (cause && cause.name === 'CancelledError' && (cause as { reason?: string }).reason === 'interrupted') return toStepError(cause);
  return new StepError(message, {
    errorClass: 'timeout',
    cause,
    details: { missing, refused: refusals.map((r) => toRefusedOutput(r, state.denied)) },
  });
}

/** Approve, then deny what must be denied; a failure is raised after every write in flight has settled. */
async function applyDecisions(
  kube: KubeClient,
  pass: Pass,
  decisions: Decisions,
  kind: ApproverKind,
  params: ApproveParams,
  state: AttemptState,
  ctx: StepContext,
): Promise<void> {
  const failures: unknown[] = [];
  // Every request in flight listens on the signal; a bounded pool needs more than the default 10 listeners.
  const signal = AbortSignal.any([ctx.signal]);
  setMaxListeners(params.concurrency * 2 + 16, signal);
  const approvals = decisions.approve;
  for (const record of approvals) state.settled.add(record.uid);
  const approval = { type: 'Approved' as const, reason: APPROVE_REASON, message: `Approved by ${stepMarker(ctx)}: node identity checks passed` };
  const approveResults = await runBounded(approvals, params.concurrency, (record) =>
    writeCsrCondition(kube, pass.objects.get(record.uid)!, approval, signal),
  );
  const approvedNow = new Set<string>();
  approveResults.forEach((result, i) => {
    const record = approvals[i]!;
    if (result.status === 'rejected') {
      failures.push(result.reason);
      state.settled.delete(record.uid);
      return;
    }
    const outcome = result.value.outcome;
    if (outcome === 'written' || outcome === 'already-approved') {
      state.local.set(record.uid, 'approved');
      approvedNow.add(record.name);
      if (outcome === 'written') state.approved.add(record.name);
      const node = kind.nodeOf(record);
      if (kind.kind === 'client' && node && !state.ownClientApprovals.has(node)) state.ownClientApprovals.set(node, ctx.clock.now());
    } else if (outcome === 'already-denied') {
      state.local.set(record.uid, 'denied');
    }
  });
  const denials: { record: CsrRecord; message: string; superseded: boolean }[] = [];
  if (params.deny) {
    for (const refusal of decisions.refused) {
      if (refusal.final) denials.push({ record: refusal.record, message: `${refusal.check}: ${refusal.reason}`, superseded: false });
    }
  }
  const approvingNames = new Set(approvals.map((a) => a.name));
  for (const { record, by } of decisions.supersede) {
    // A duplicate is denied only once its replacement is really approved.
    if (approvedNow.has(by) || !approvingNames.has(by)) {
      denials.push({ record, message: `superseded by ${by}, approved for the same node`, superseded: true });
    }
  }
  for (const { record } of denials) state.settled.add(record.uid);
  const denyResults = await runBounded(denials, params.concurrency, ({ record, message }) =>
    writeCsrCondition(
      kube,
      pass.objects.get(record.uid)!,
      { type: 'Denied', reason: DENY_REASON, message: `Denied by ${stepMarker(ctx)}: ${message}` },
      signal,
    ),
  );
  denyResults.forEach((result, i) => {
    const { record, superseded } = denials[i]!;
    if (result.status === 'rejected') {
      failures.push(result.reason);
      state.settled.delete(record.uid);
    } else if (result.value.outcome === 'written' || result.value.outcome === 'already-denied') {
      state.local.set(record.uid, 'denied');
      state.denied.add(record.name);
      if (superseded) state.superseded.add(record.name);
    }
  });
  if (failures.length > 0) throw summarizeFailures(failures);
}

/** One error for several failed writes: permanent wins (no retry can cure it), else the first transient one. */
function summarizeFailures(failures: unknown[]): StepError {
  const errors = failures.map(toStepError);
  const first = errors.find((e) => e.errorClass === 'permanent') ?? errors[0]!;
  const prefix = errors.length > 1 ? `${errors.length} CSR writes failed; first: ` : '';
  return new StepError(`${prefix}${first.message}`, { errorClass: first.errorClass, retryAfterMs: first.retryAfterMs, cause: first });
}

/** Read-only preview: one list per resource, the same decisions, nothing written. */
export async function planApprover<P extends ApproveParams>(factory: ApproverFactory<P>, params: P, ctx: PlanContext): Promise<PlanPreview> {
  const kube = await ctx.kube();
  const selector = buildSelector(params);
  const [csrs, nodes, machines] = await Promise.all([
    kube.list('certificates.k8s.io/v1', 'CertificateSigningRequest', { signal: ctx.signal }),
    kube.list('v1', 'Node', { signal: ctx.signal }),
    factory.needsMachines(params)
      ? kube.list('machine.openshift.io/v1beta1', 'Machine', { namespace: MACHINE_NAMESPACE, signal: ctx.signal })
      : { items: [] },
  ]);
  const pass = await readPass(csrs.items, factory, new Map());
  const state = newAttemptState();
  const world = buildWorld(nodes.items, machines.items, selector, ctx.clock.now(), state.ownClientApprovals);
  const kind = factory.create(params, world);
  learnFromCluster(pass, kind, { runId: ctx.runId, stepId: ctx.stepId }, state);
  const decisions = decideCsrs(pass.records, kind, params, new Set());
  const approved = collectApprovedByNode(pass.records, kind, state);
  const table = buildDecisionTable(factory.label, decisions, params, (r) => kind.nodeOf(r));
  const waiting = findMissingNodes(selector, [...approved.keys(), ...decisions.approve.map((r) => kind.nodeOf(r) ?? '')]).missing;
  const summary =
    `would approve ${decisions.approve.length} ${factory.label} CSR(s), refuse ${decisions.refused.length}` +
    (decisions.supersede.length > 0 ? `, deny ${decisions.supersede.length} superseded` : '') +
    (approved.size > 0 ? `; ${approved.size} node(s) already approved` : '') +
    (waiting.length > 0 ? `; still waiting for ${waiting.join(', ')}` : '');
  return { summary, tables: table.rows.length > 0 ? [table] : [] };
}
