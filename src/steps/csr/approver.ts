// The approval loop both approve steps share: watch, decide, approve (bounded), deny if asked, until every node is done.

import { StepError, toStepError } from '../../errors.js';
import { findMissingNodes } from '../../csr/index.js';
import type { StepContext } from '../types.js';
import { applyDecisions } from './apply.js';
import { abortError, startClusterView, stopWaitingAt } from './cluster-view.js';
import { decideCsrs, type ApproveParams, type Refusal } from './decide.js';
import { buildSelector } from './params.js';
import { createProgressLine } from './progress.js';
import { abbreviate, buildRefusalTable, describeApproveProgress, describeRefusal, toRefusedOutput } from './report.js';
import {
  buildOutputs,
  buildWorld,
  collectApprovedByNode,
  learnFromCluster,
  newAttemptState,
  pendingRefusals,
  readPass,
  type ApproveOutputs,
  type ApproverFactory,
  type AttemptState,
} from './state.js';

export type { ApproveOutputs, ApproverFactory, World } from './state.js';
export { planApprover } from './plan.js';

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
  const progress = createProgressLine(ctx.progress);
  try {
    for (;;) {
      const since = view.version;
      const pass = await readPass(view.csrs(), factory, state.local);
      const world = buildWorld(view.nodes(), view.machines(), selector, ctx.clock.now(), state.ownClientApprovals);
      const kind = factory.create(params, world);
      learnFromCluster(pass, kind, ctx, state);
      const decisions = decideCsrs(pass.records, kind, params, state.settled);
      for (const refusal of decisions.refused) {
        const known = state.refusals.get(refusal.record.uid);
        if (known?.reason !== refusal.reason) ctx.log(describeRefusal(factory.label, refusal));
        state.refusals.set(refusal.record.uid, refusal);
        if (refusal.final) state.settled.add(refusal.record.uid);
      }
      // Not refusals while the step runs: they are shown as waiting, and checked again on the next change.
      state.waiting = decisions.waiting;
      await applyDecisions(kube, pass, decisions, kind, params, state, ctx);
      const approved = collectApprovedByNode(pass.records, kind, state);
      const { done, missing } = findMissingNodes(selector, approved.keys());
      progress.update(describeApproveProgress(factory.label, selector, approved, missing, pendingRefusals(state).length, state.waiting), done);
      if (done) return buildOutputs(state, approved);
      const woke = await view.waitForChange(since, giveUpAt, ctx.signal).catch((error: unknown) => {
        throw ctx.signal.aborted ? timeoutError(factory.label, missing, state, ctx.log, abortError(ctx.signal)) : error;
      });
      if (woke === 'deadline') throw timeoutError(factory.label, missing, state, ctx.log);
    }
  } finally {
    progress.flush();
    view.stop();
    const refusals = pendingRefusals(state);
    if (refusals.length > 0) ctx.report(buildRefusalTable(factory.label, refusals, state.denied));
  }
}

/** When the step gives up, CSRs still unverifiable become refusals (left pending, never denied) that say what they waited for. */
function refuseStillWaiting(label: string, state: AttemptState, log: (line: string) => void): void {
  for (const waiting of state.waiting) {
    const reason = `${waiting.reason}: unverifiable, the step timed out waiting for ${waiting.waitingFor}`;
    const refusal: Refusal = { record: waiting.record, node: waiting.node, check: waiting.check, reason, final: false };
    state.refusals.set(waiting.record.uid, refusal);
    log(describeRefusal(label, refusal));
  }
  state.waiting = [];
}

function timeoutError(label: string, missing: string[], state: AttemptState, log: (line: string) => void, cause?: Error): StepError {
  // A run-level cancel (Ctrl-C) keeps its own error; a timeout or deadline gets the nodes named.
  if (cause && cause.name === 'CancelledError' && (cause as { reason?: string }).reason === 'interrupted') return toStepError(cause);
  refuseStillWaiting(label, state, log);
  const refusals = pendingRefusals(state);
  const forMissing = refusals.filter((r) => missing.includes(r.node));
  const why = forMissing.length > 0 ? `; refused for them: ${forMissing.slice(0, 10).map((r) => `${r.record.name} (${r.node}): ${r.reason}`).join('; ')}` : '';
  // The full lists are in details; the message stays readable with a thousand nodes.
  const message = `no approved ${label} CSR for ${abbreviate(missing, 20)}${why}${forMissing.length > 10 ? ` (+${forMissing.length - 10} more)` : ''}`;
  return new StepError(message, {
    errorClass: 'timeout',
    cause,
    details: { missing, refused: refusals.map((r) => toRefusedOutput(r, state.denied)) },
  });
}
