// The approvers' read-only preview: one list per resource, the same decisions as a run, nothing written.

import type { PlanContext, PlanPreview } from '../types.js';
import { findMissingNodes } from '../../csr/index.js';
import type { ApproverFactory } from './approver.js';
import { MACHINE_NAMESPACE } from './cluster-view.js';
import { decideCsrs, type ApproveParams } from './decide.js';
import { buildSelector } from './params.js';
import { buildDecisionTable } from './report.js';
import { buildWorld, collectApprovedByNode, learnFromCluster, newAttemptState, readPass } from './state.js';

/** Read-only preview: what a run would approve, refuse and supersede right now. */
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
    (decisions.waiting.length > 0 ? `, wait to verify ${decisions.waiting.length} (node identity not known yet)` : '') +
    (decisions.supersede.length > 0 ? `, deny ${decisions.supersede.length} superseded` : '') +
    (approved.size > 0 ? `; ${approved.size} node(s) already approved` : '') +
    (waiting.length > 0 ? `; still waiting for ${waiting.join(', ')}` : '');
  return { summary, tables: table.rows.length > 0 ? [table] : [] };
}
