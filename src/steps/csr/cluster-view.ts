// One list+watch per resource a CSR step reads (CSRs, Nodes, Machines), and a wait for "something changed".

import { CancelledError, StepError, toStepError } from '../../errors.js';
import type { Clock } from '../../time/clock.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import { acquireInformer, type InformerLease } from './shared-informers.js';
import { projectCsr, projectMachine, projectNode } from './projections.js';
import type { ClusterIdentityData, NodeAddress } from '../../csr/index.js';
import { raceAbort } from '../../time/abort.js';

/** Where OpenShift's Machine API keeps Machine objects. */
export const MACHINE_NAMESPACE = 'openshift-machine-api';

export interface ClusterView {
  csrs(): KubeObject[];
  nodes(): KubeObject[];
  machines(): KubeObject[];
  /** Bumped on every watch event of any informer. */
  readonly version: number;
  /**
   * Resolves 'change' once `version` moved past `since`, 'deadline' when the clock reaches `deadline`;
   * rejects when `signal` aborts.
   */
  waitForChange(since: number, deadline: number, signal: AbortSignal): Promise<'change' | 'deadline'>;
  stop(): void;
}

export interface ClusterViewOptions {
  csrs?: boolean;
  nodes?: boolean;
  machines?: boolean;
  clock: Clock;
  signal: AbortSignal;
}

/** Leases the informers the step needs (shared with the run's other CSR steps) and waits for their first list. */
export async function startClusterView(kube: KubeClient, options: ClusterViewOptions): Promise<ClusterView> {
  const leases: { csrs?: InformerLease; nodes?: InformerLease; machines?: InformerLease } = {};
  if (options.csrs) leases.csrs = acquireInformer(kube, 'certificates.k8s.io/v1', 'CertificateSigningRequest', undefined, projectCsr);
  if (options.nodes) leases.nodes = acquireInformer(kube, 'v1', 'Node', undefined, projectNode);
  if (options.machines) leases.machines = acquireInformer(kube, 'machine.openshift.io/v1beta1', 'Machine', MACHINE_NAMESPACE, projectMachine);
  const all = Object.values(leases) as InformerLease[];
  let version = 0;
  let wake: (() => void) | undefined;
  const unsubscribe = all.map(({ informer }) =>
    informer.onChange(() => {
      version += 1;
      wake?.();
    }),
  );
  const stop = () => {
    for (const off of unsubscribe) off();
    for (const lease of all) lease.release();
  };
  try {
    await raceAbort(Promise.all(all.map(({ informer }) => informer.ready())), options.signal, abortError);
  } catch (error) {
    stop();
    throw options.signal.aborted ? abortError(options.signal) : toStepError(error);
  }
  const informers = { csrs: leases.csrs?.informer, nodes: leases.nodes?.informer, machines: leases.machines?.informer };
  return {
    csrs: () => informers.csrs?.items() ?? [],
    nodes: () => informers.nodes?.items() ?? [],
    machines: () => informers.machines?.items() ?? [],
    get version() {
      return version;
    },
    async waitForChange(since, deadline, signal) {
      if (version > since) return 'change';
      if (signal.aborted) throw abortError(signal);
      const local = new AbortController();
      const linked = AbortSignal.any([signal, local.signal]);
      try {
        return await new Promise<'change' | 'deadline'>((resolve, reject) => {
          wake = () => resolve('change');
          options.clock.sleep(Math.max(0, deadline - options.clock.now()), linked).then(
            () => resolve('deadline'),
            () => (signal.aborted ? reject(abortError(signal)) : undefined),
          );
        });
      } finally {
        wake = undefined;
        local.abort();
      }
    },
    stop,
  };
}

/** The error to surface when the engine aborts us: its own reason when it gave one. */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason as unknown;
  if (reason instanceof StepError || reason instanceof CancelledError) return reason;
  if (reason instanceof Error) return reason;
  return new CancelledError(String(reason ?? 'aborted'));
}

interface NodeObject extends KubeObject {
  status?: { addresses?: NodeAddress[]; conditions?: { type?: string; status?: string }[] };
}

interface MachineObject extends KubeObject {
  status?: { addresses?: NodeAddress[]; nodeRef?: { name?: string } };
}

/** Nodes and Machines reduced to what identity checks read. */
export function readIdentityData(nodes: KubeObject[], machines: KubeObject[]): ClusterIdentityData {
  return {
    nodes: new Map(nodes.map((n) => [n.metadata.name ?? '', (n as NodeObject).status?.addresses ?? []])),
    machines: machines.map((m) => ({
      name: m.metadata.name ?? '',
      nodeRef: (m as MachineObject).status?.nodeRef?.name,
      addresses: (m as MachineObject).status?.addresses ?? [],
    })),
  };
}

export type NodeReadiness = 'Ready' | 'NotReady' | 'Unknown' | 'Missing';

export function readNodeReadiness(node: KubeObject | undefined): NodeReadiness {
  if (!node) return 'Missing';
  const ready = (node as NodeObject).status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return 'Ready';
  if (ready?.status === 'False') return 'NotReady';
  return 'Unknown';
}

/**
 * When a wait should give up: a little before the attempt's deadline, so the step's own error (which names the
 * nodes still missing) wins the race against the engine's generic timeout.
 */
export function stopWaitingAt(ctx: { deadline: number; clock: Clock }): number {
  const budget = ctx.deadline - ctx.clock.now();
  if (!Number.isFinite(budget)) return ctx.deadline;
  return ctx.deadline - Math.min(10_000, Math.max(1000, budget * 0.01));
}

/**
 * Waits for the next change in the cluster; when the step's time is up (its deadline passes, or a timeout aborts its
 * signal) throws `timedOut()`, while an operator's interrupt passes through as it is.
 */
export async function waitForChangeOrTimeout(
  view: ClusterView,
  since: number,
  giveUpAt: number,
  signal: AbortSignal,
  timedOut: () => Error,
): Promise<void> {
  const woke = await view.waitForChange(since, giveUpAt, signal).catch((error: unknown) => {
    if (!signal.aborted) throw error;
    const reason = abortError(signal);
    throw reason.name === 'CancelledError' && (reason as { reason?: string }).reason === 'interrupted' ? reason : timedOut();
  });
  if (woke === 'deadline') throw timedOut();
}
