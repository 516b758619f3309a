// What the cluster looks like now, as JSON: what `rehearse` prints at the end and tests assert on.

import type { Counters } from './api/counters.js';
import type { ClusterAccess } from './actors/access.js';
import type { KubeletState } from './actors/kubelet.js';
import type { RogueKind } from './scenario/types.js';
import { formatTime } from './store/store.js';
import type { Json } from './json.js';
import type { ControlPlaneSummary } from './controlplane/index.js';

export type CsrState = 'approved' | 'denied' | 'pending';

export interface CsrSummary {
  name: string;
  signerName: string;
  requestor: string;
  state: CsrState;
  /** A certificate was issued (status.certificate set). */
  issued: boolean;
  /** The node whose kubelet posted it, when the simulation knows. */
  node?: string;
  /** Set on CSRs posted by a rogue actor: a safe approver must never approve these. */
  rogue?: RogueKind;
  created: string;
}

export interface NodeSummary {
  name: string;
  status: 'Ready' | 'NotReady' | 'Unknown';
  roles: string[];
}

export interface OperatorSummary {
  name: string;
  available: string;
  progressing: string;
  degraded: string;
  reason: string;
  message: string;
}

export interface SimSummary {
  scenario: string;
  flavour: 'openshift' | 'kubernetes';
  /** Simulated time now (RFC 3339). */
  time: string;
  /** Simulated ms since the scenario started. */
  elapsedMs: number;
  nodes: NodeSummary[];
  csrs: { approved: number; denied: number; pending: number; issued: number; items: CsrSummary[] };
  kubelets: KubeletState[];
  operators: OperatorSummary[];
  requests: { total: number; byVerbResource: Record<string, number>; faults: Record<string, number> };
  /** Failures inside the simulation's own actors (should stay empty). */
  errors: string[];
  /** The simulated control-plane nodes: each certificate's expiry at the start and now. */
  controlPlane?: ControlPlaneSummary;
}


function condition(object: Json, type: string): Json | undefined {
  return (object.status?.conditions ?? []).find((c: Json) => c.type === type);
}

export interface SummaryInputs {
  access: ClusterAccess;
  scenario: string;
  flavour: 'openshift' | 'kubernetes';
  now: number;
  startedAt: number;
  kubelets: KubeletState[];
  rogues: Map<string, RogueKind>;
  counters: Counters;
  errors: string[];
}

export function summarize(input: SummaryInputs): SimSummary {
  const { access } = input;
  const owner = new Map<string, string>();
  for (const k of input.kubelets) for (const name of [...k.clientCsrs, ...k.servingCsrs]) owner.set(name, k.node);
  const items: CsrSummary[] = access.list('certificatesigningrequests').map((csr: Json) => {
    const state: CsrState = condition(csr, 'Denied') ? 'denied' : condition(csr, 'Approved') ? 'approved' : 'pending';
    const item: CsrSummary = {
      name: csr.metadata.name,
      signerName: csr.spec?.signerName ?? '',
      requestor: csr.spec?.username ?? '',
      state,
      issued: Boolean(csr.status?.certificate),
      created: csr.metadata.creationTimestamp,
    };
    const node = owner.get(item.name);
    if (node) item.node = node;
    const rogue = input.rogues.get(item.name);
    if (rogue) item.rogue = rogue;
    return item;
  });
  const count = (state: CsrState) => items.filter((i) => i.state === state).length;
  const nodes: NodeSummary[] = access.list('nodes').map((node: Json) => {
    const ready = condition(node, 'Ready')?.status;
    return {
      name: node.metadata.name,
      status: ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown',
      roles: Object.keys(node.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice(24)),
    };
  });
  const operators: OperatorSummary[] = access.has('clusteroperators')
    ? access.list('clusteroperators').map((co: Json) => {
        const bad = condition(co, 'Degraded')?.status === 'True' ? condition(co, 'Degraded') : condition(co, 'Available')?.status !== 'True' ? condition(co, 'Available') : condition(co, 'Progressing');
        return {
          name: co.metadata.name,
          available: condition(co, 'Available')?.status ?? 'Unknown',
          progressing: condition(co, 'Progressing')?.status ?? 'Unknown',
          degraded: condition(co, 'Degraded')?.status ?? 'Unknown',
          reason: bad?.reason ?? '',
          message: bad?.message ?? '',
        };
      })
    : [];
  return {
    scenario: input.scenario,
    flavour: input.flavour,
    time: formatTime(input.now),
    elapsedMs: Math.round(input.now - input.startedAt),
    nodes,
    csrs: { approved: count('approved'), denied: count('denied'), pending: count('pending'), issued: items.filter((i) => i.issued).length, items },
    kubelets: input.kubelets.map((k) => ({ ...k, clientCsrs: [...k.clientCsrs], servingCsrs: [...k.servingCsrs] })),
    operators,
    requests: { total: input.counters.totalRequests, byVerbResource: input.counters.snapshot(), faults: input.counters.faultSnapshot() },
    errors: [...input.errors],
  };
}
