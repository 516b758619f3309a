// Writes one pass's decisions: approvals (bounded), then denials; a failure is raised once every write has settled.

import { setMaxListeners } from 'node:events';
import { StepError, toStepError } from '../../errors.js';
import type { KubeClient } from '../../k8s/types.js';
import type { CsrRecord } from '../../csr/types.js';
import type { StepContext } from '../types.js';
import { APPROVE_REASON, DENY_REASON, writeCsrCondition } from './conditions.js';
import type { ApproveParams, ApproverKind, Decisions } from './decide.js';
import { runBounded } from './pool.js';
import { stepMarker, type AttemptState, type Pass } from './state.js';

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
      if (superseded) {
        state.superseded.add(record.name);
        // A stale CSR refused in an earlier pass is now reported as superseded, not as a refusal left pending.
        state.refusals.delete(record.uid);
      }
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
