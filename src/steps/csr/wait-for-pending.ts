// wait-for-pending: waits until every inventory node has a pending CSR of the given kind (client or serving).

import { StepError } from '../../errors.js';
import type { KubeObject } from '../../k8s/types.js';
import { claimedClientNode, findMissingNodes, isSelectedNode, listExpectedNodes, nodeNameOf, readCsrKind, readCsrRecords, readCsrState, readUsername, type CsrKind, type NodeSelector } from '../../csr/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext, PlanPreview, StepContext, StepType } from '../types.js';
import { startClusterView, stopWaitingAt, waitForChangeOrTimeout } from './cluster-view.js';
import { buildSelector, checkSelectorParams, normalizeSelectorParams, selectorProperties, type WithSelector } from './params.js';
import { abbreviate } from './report.js';
import { createProgressLine } from './progress.js';

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'wait-for-pending',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...selectorProperties,
    kind: { description: 'Which CSR to wait for: client (first) or server (after the client one is approved).', enum: ['client', 'server'], default: 'client' },
  },
} as const satisfies JsonSchema;

/** The selector plus `kind`: which CSR to wait for (default client). */
export type WaitForPendingParams = WithSelector<ParamsFilled<typeof schema>>;

export interface WaitForPendingOutputs {
  /** Node → its pending CSRs of the kind. */
  csrs: Record<string, string[]>;
  /** Nodes with a pending CSR of the kind. */
  nodes: string[];
  [key: string]: unknown;
}

interface PendingState {
  pending: Map<string, string[]>;
  /** Nodes whose CSR of this kind is already approved: done, so re-runs and resumes do not hang. */
  approved: Set<string>;
}

/** Node each CSR of the kind is for (client: the CN, which needs the parsed request; serving: the requestor). */
async function readPendingState(objects: KubeObject[], kind: CsrKind, selector: NodeSelector): Promise<PendingState> {
  const state: PendingState = { pending: new Map(), approved: new Set() };
  const ofKind = objects.filter((o) => readCsrKind(o) === kind);
  const nodes = kind === 'client' ? (await readCsrRecords(ofKind)).map(claimedClientNode) : ofKind.map((o) => nodeNameOf(readUsername(o)));
  ofKind.forEach((object, i) => {
    const node = nodes[i];
    if (!node || !isSelectedNode(selector, node)) return;
    const csrState = readCsrState(object).state;
    if (csrState === 'pending') state.pending.set(node, [...(state.pending.get(node) ?? []), object.metadata.name ?? '']);
    else if (csrState === 'approved') state.approved.add(node);
  });
  return state;
}

function toOutputs(state: PendingState, selector: NodeSelector): WaitForPendingOutputs {
  const nodes = listExpectedNodes(selector, state.pending.keys()).filter((n) => state.pending.has(n));
  return { csrs: Object.fromEntries(nodes.map((n) => [n, [...state.pending.get(n)!].sort()])), nodes };
}

function label(kind: CsrKind): string {
  return kind === 'client' ? 'client' : 'serving';
}

async function runWaitForPending(params: WaitForPendingParams, ctx: StepContext): Promise<WaitForPendingOutputs> {
  const kube = await ctx.kube();
  const selector = buildSelector(params);
  const giveUpAt = stopWaitingAt(ctx);
  const view = await startClusterView(kube, { csrs: true, clock: ctx.clock, signal: ctx.signal });
  const progress = createProgressLine(ctx.progress);
  try {
    for (;;) {
      const since = view.version;
      const state = await readPendingState(view.csrs(), params.kind, selector);
      const satisfied = new Set([...state.pending.keys(), ...state.approved]);
      const { done, missing } = findMissingNodes(selector, satisfied);
      const total = selector.mode === 'inventory' ? selector.nodes.size : selector.count;
      progress.update(
        `${label(params.kind)} CSRs pending for ${Math.min(total, satisfied.size)}/${total} nodes` +
          (missing.length > 0 ? ` (waiting for ${abbreviate(missing)})` : ''),
        done,
      );
      if (done) return toOutputs(state, selector);
      const timedOut = () =>
        new StepError(`no pending ${label(params.kind)} CSR for ${abbreviate(missing, 20)}`, { errorClass: 'timeout', details: { missing } });
      await waitForChangeOrTimeout(view, since, giveUpAt, ctx.signal, timedOut);
    }
  } finally {
    progress.flush();
    view.stop();
  }
}

async function planWaitForPending(params: WaitForPendingParams, ctx: PlanContext): Promise<PlanPreview> {
  const kube = await ctx.kube();
  const selector = buildSelector(params);
  const { items } = await kube.list('certificates.k8s.io/v1', 'CertificateSigningRequest', { signal: ctx.signal });
  const state = await readPendingState(items, params.kind, selector);
  const { missing } = findMissingNodes(selector, [...state.pending.keys(), ...state.approved]);
  const names = listExpectedNodes(selector, [...state.pending.keys(), ...state.approved]);
  const rows = [...new Set([...names, ...missing.filter((m) => selector.mode === 'inventory' && !names.includes(m))])].map((node) => [
    node,
    state.pending.get(node)?.join(', ') ?? '-',
    state.approved.has(node) ? 'approved' : state.pending.has(node) ? 'pending' : 'none yet',
  ]);
  return {
    summary:
      missing.length === 0
        ? `every node has a ${label(params.kind)} CSR pending or approved`
        : `would wait for ${label(params.kind)} CSRs of ${abbreviate(missing)}`,
    tables: [{ title: `${label(params.kind)} CSRs per node`, columns: ['node', 'pending CSRs', 'state'], rows }],
  };
}

export const waitForPending: StepType<WaitForPendingParams, WaitForPendingOutputs, ParamsInput<typeof schema>> = {
  type: 'wait-for-pending',
  description: 'Wait until every inventory node has a pending client (or serving) CSR',
  mutating: false,
  schema,
  outputs: {
    csrs: { type: 'object', description: 'node → its pending CSR names' },
    nodes: { type: 'string[]', description: 'nodes with a pending CSR of the kind' },
  },
  check: checkSelectorParams,
  normalize: (params) => ({ ...normalizeSelectorParams(params), kind: params.kind ?? 'client' }),
  run: runWaitForPending,
  plan: planWaitForPending,
};
