// Writes one pass's decisions: approvals (bounded), then denials, each CSR's write retried on its own; a failure is
// raised once every write has settled.

import { setMaxListeners } from 'node:events';
import { StepError, toStepError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import { type CsrRecord, readCsrState } from '../../csr/index.js';
import type { StepContext } from '../types.js';
import { stopWaitingAt } from './cluster-view.js';
import { APPROVE_REASON, DENY_REASON } from './conditions.js';
import type { ApproveParams, ApproverKind, Decisions } from './decide.js';
import { runBounded } from './pool.js';
import { stepMarker, type AttemptState, type Pass } from './state.js';
import { writeCsrConditionWithRetry } from './write-retry.js';

/** Approve, then deny what must be denied; a failure is raised after every write in flight has settled. */
export async function applyDecisions(
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
  const retry = {
    clock: ctx.clock,
    signal,
    giveUpAt: stopWaitingAt(ctx),
    onRetry: ({ csr, retry, delayMs, error }: { csr: string; retry: number; delayMs: number; error: StepError }) =>
      ctx.log(`${csr}: write failed (${error.message}); retry ${retry} in ${formatMs(delayMs)}`),
  };
  const approvals = decisions.approve;
  for (const record of approvals) state.settled.add(record.uid);
  const approval = { type: 'Approved' as const, reason: APPROVE_REASON, message: `Approved by ${stepMarker(ctx)}: node identity checks passed` };
  // Only the outcome is kept: holding thousands of full response objects until the pass ends would double the cache.
  const approveResults = await runBounded(approvals, params.concurrency, async (record) => {
    const { outcome, object } = await writeCsrConditionWithRetry(kube, takeObject(pass, record), approval, retry);
    return { outcome, approvalMessage: outcome === 'already-approved' && object ? readCsrState(object).approvalMessage : undefined };
  });
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
      // Found approved on a re-read after a lost answer: our own write committed, so it is this step's approval.
      const ours = outcome === 'written' || result.value.approvalMessage?.includes(approval.message);
      if (ours) state.approved.add(record.name);
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
  const denyResults = await runBounded(denials, params.concurrency, async ({ record, message }) => {
    const denial = { type: 'Denied' as const, reason: DENY_REASON, message: `Denied by ${stepMarker(ctx)}: ${message}` };
    const { outcome } = await writeCsrConditionWithRetry(kube, takeObject(pass, record), denial, retry);
    return { outcome };
  });
  denyResults.forEach((result, i) => {
    const { record, superseded } = denials[i]!;
    if (result.status === 'rejected') {
      failures.push(result.reason);
      state.settled.delete(record.uid);
    } else if (result.value.outcome === 'written' || result.value.outcome === 'already-denied') {
      state.local.set(record.uid, 'denied');
      state.denied.add(record.name);
      if (superseded) {
        state.superseded.add(record.name);
        // A stale CSR refused in an earlier pass is now reported as superseded, not as a refusal left pending.
        state.refusals.delete(record.uid);
      }
    }
  });
  if (failures.length > 0) throw summarizeFailures(failures);
}

/**
 * The version of the CSR the pass decided on, released by the pass as its write starts: the watch soon replaces it in
 * the cache, and a pass approving thousands must not keep every replaced version alive until its last write.
 */
function takeObject(pass: Pass, record: CsrRecord): KubeObject {
  const object = pass.objects.get(record.uid)!;
  pass.objects.delete(record.uid);
  return object;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`;
}

/**
 * One error for the CSRs whose writes failed after their own retries: permanent wins (no retry can cure it), then a
 * timeout, else the first transient one; each message already names its CSR and the last error.
 */
function summarizeFailures(failures: unknown[]): StepError {
  const errors = failures.map(toStepError);
  const first = errors.find((e) => e.errorClass === 'permanent') ?? errors.find((e) => e.errorClass === 'timeout') ?? errors[0]!;
  const prefix = errors.length > 1 ? `${errors.length} CSR writes failed; first: ` : '';
  return new StepError(`${prefix}${first.message}`, { errorClass: first.errorClass, retryAfterMs: first.retryAfterMs, cause: first });
}
