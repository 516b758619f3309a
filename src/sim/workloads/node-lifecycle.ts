// The life and death of the workload kubelet's nodes as Kubernetes handles it: heartbeats (kube-node-lease), the node controller's Ready=Unknown and
// unreachable taints after the monitor grace period, taint-based eviction after a pod's tolerationSeconds, and the pod GC's force deletion.

import { CONTROLLER, type ClusterAccess } from '../actors/access.js';
import { sleepFor, type Scheduler } from '../actors/schedule.js';
import type { Json } from '../json.js';
import { formatTime } from '../store/store.js';
import type { KObject } from '../store/types.js';
import type { PodRunner } from './kubelet-runner.js';
import { markPodDeleted } from './pod-api.js';
import { NOT_READY_TAINT, tolerates } from './scheduling.js';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** The kubelet's heartbeat: how often it renews its node Lease. @default 10 s, as the kubelet's */
  heartbeatMs?: number;
  /** How long a node may miss heartbeats before the node controller marks it Unknown. @default 40 s (kube-controller-manager --node-monitor-grace-period) */
  monitorGraceMs?: number;
  /** How often the node controller, taint manager and pod GC look. @default 5 s (--node-monitor-period) */
  monitorPeriodMs?: number;
}

type Pod = KObject & { spec: Json; status?: Json };

const conditionsOf = (node: KObject) => (((node.status as Json | undefined)?.conditions ?? []) as Json[]);
const taintsOf = (node: KObject) => (((node.spec as Json | undefined)?.taints ?? []) as Json[]);
const isReady = (node: KObject) => conditionsOf(node).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * When the taint manager evicts `pod` from a node with these NoExecute taints: now when one is not tolerated, at the earliest
 * taint-time + tolerationSeconds otherwise, never when every toleration is unbounded.
 */
export function evictionTime(pod: Pod, taints: Json[]): number | undefined {
  const tolerations = (pod.spec.tolerations ?? []) as Json[];
  let at = Infinity;
  for (const taint of taints.filter((t) => t.effect === 'NoExecute')) {
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) return -Infinity;
    const bounded = matching.filter((t) => typeof t.tolerationSeconds === 'number');
    // The longest matching toleration applies; an unbounded one tolerates the taint for ever.
    if (bounded.length < matching.length) continue;
    const seconds = Math.max(...bounded.map((t) => Math.max(0, t.tolerationSeconds as number)));
    at = Math.min(at, Date.parse((taint.timeAdded as string | undefined) ?? '') + seconds * 1000 || 0);
  }
  return at === Infinity ? undefined : at;
}

/** Gives the runner's nodes a node Lease and runs heartbeats, node controller, taint manager and pod GC; returns stop(). */
export function startNodeLifecycle(access: ClusterAccess, scheduler: Scheduler, pods: PodRunner, options: NodeLifecycleOptions = {}): () => void {
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const graceMs = options.monitorGraceMs ?? 40_000;
  const periodMs = options.monitorPeriodMs ?? 5_000;
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, scheduler.signal]);
  const s: Scheduler = { ...scheduler, signal };
  const now = () => scheduler.clock.now();
  const asNode = (name: string) => access.as({ username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });

  /** The kubelet's heartbeat: renew its Lease; a node that is back also posts Ready again (as its kubelet does on start). */
  async function renew(name: string): Promise<void> {
    const at = new Date(now()).toISOString().replace('Z', '000Z');
    const lease = access.peek('leases', NODE_LEASE_NAMESPACE, name);
    if (!lease) {
      await asNode(name).create('leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: at } });
    } else {
      await asNode(name).mergePatch('leases', NODE_LEASE_NAMESPACE, name, { spec: { renewTime: at } });
    }
    const node = access.peek('nodes', undefined, name);
    if (node && !isReady(node)) {
      const t = formatTime(now());
      await asNode(name).updateStatus('nodes', undefined, name, (current) => {
        (current.status as Json).conditions = conditionsOf(current).map((c) => {
          const ready = c.type === 'Ready';
          return { ...c, status: ready ? 'True' : 'False', lastHeartbeatTime: t, lastTransitionTime: t, reason: ready ? 'KubeletReady' : c.reason, message: ready ? 'kubelet is posting ready status' : c.message };
        });
      });
    }
  }

  /** Node controller: a node whose Lease went unrenewed for the grace period is Unknown and tainted unreachable; a Ready one loses those taints. */
  async function monitorNode(node: KObject): Promise<void> {
    const name = node.metadata.name;
    const lease = access.peek('leases', NODE_LEASE_NAMESPACE, name);
    if (!lease) return; // a node no kubelet of ours heartbeats (scenario nodes) is left as the scenario made it
    const renewed = Date.parse(((lease.spec as Json).renewTime as string | undefined) ?? '');
    const ready = conditionsOf(node).find((c) => c.type === 'Ready');
    const t = formatTime(now());
    if (now() - renewed > graceMs && ready?.status !== 'Unknown') {
      await access.updateStatus('nodes', undefined, name, (current) => {
        (current.status as Json).conditions = conditionsOf(current).map((c) => ({ ...c, status: 'Unknown', lastTransitionTime: t, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }));
      });
      const kept = taintsOf(node).filter((x) => x.key !== UNREACHABLE_TAINT && x.key !== NOT_READY_TAINT);
      await access.mergePatch('nodes', undefined, name, { spec: { taints: [...kept, { key: UNREACHABLE_TAINT, effect: 'NoSchedule', timeAdded: t }, { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: t }] } });
      // As the node controller's MarkPodsNotReady: its pods stop being Ready (Services drop them); their phase stays.
      for (const pod of access.list('pods') as Pod[]) {
        if (pod.spec.nodeName !== name || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
        await access.updateStatus('pods', pod.metadata.namespace, pod.metadata.name, (current) => {
          const status = (current.status ?? {}) as Json;
          const conditions = (status.conditions ?? []) as Json[];
          if (conditions.some((c) => c.type === 'Ready' && c.status === 'False')) return false;
          current.status = { ...status, conditions: [...conditions.filter((c) => c.type !== 'Ready'), { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: t }] };
        });
      }
    } else if (ready?.status === 'True' && taintsOf(node).some((x) => x.key === UNREACHABLE_TAINT || x.key === NOT_READY_TAINT)) {
      const kept = taintsOf(node).filter((x) => x.key !== UNREACHABLE_TAINT && x.key !== NOT_READY_TAINT);
      await access.mergePatch('nodes', undefined, name, { spec: { taints: kept.length > 0 ? kept : null } });
    }
  }

  /** Taint manager: a pod on a node with NoExecute taints it does not tolerate (long enough) gets DisruptionTarget and is deleted gracefully. */
  async function evict(pod: Pod, taints: Json[]): Promise<void> {
    if (pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const at = evictionTime(pod, taints);
    if (at === undefined || at > now()) return;
    await addDisruption(pod, 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint');
    const def = access.def('pods');
    const marked = markPodDeleted(access.core, def, pod.metadata.namespace!, pod.metadata.name, CONTROLLER, now());
    if (!marked) access.core.delete(CONTROLLER, def, pod.metadata.namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid! } });
  }

  async function addDisruption(pod: Pod, reason: string, message: string, phase?: string): Promise<void> {
    const t = formatTime(now());
    await access.updateStatus('pods', pod.metadata.namespace, pod.metadata.name, (current) => {
      if (current.metadata.uid !== pod.metadata.uid) return false;
      const status = (current.status ?? {}) as Json;
      const others = ((status.conditions ?? []) as Json[]).filter((c) => c.type !== 'DisruptionTarget');
      current.status = { ...status, ...(phase ? { phase } : {}), conditions: [...others, { type: 'DisruptionTarget', status: 'True', reason, message, lastProbeTime: null, lastTransitionTime: t }] };
    });
  }

  /**
   * Pod GC: a pod bound to a node that no longer exists, or a terminating pod on a NotReady node an administrator marked out-of-service
   * (non-graceful node shutdown), is marked Failed with DisruptionTarget and force-deleted. A terminating pod on a node merely unreachable stays.
   */
  async function collect(pod: Pod): Promise<void> {
    const nodeName = pod.spec.nodeName as string | undefined;
    if (!nodeName || !pods.nodes.includes(nodeName)) return;
    const node = access.peek('nodes', undefined, nodeName);
    const outOfService = !!node && !isReady(node) && !!pod.metadata.deletionTimestamp && taintsOf(node).some((x) => x.key === OUT_OF_SERVICE_TAINT && x.effect === 'NoExecute');
    if (node && !outOfService) return;
    const terminal = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!terminal) await addDisruption(pod, 'DeletionByPodGC', node ? 'PodGC: node is out of service' : 'PodGC: node no longer exists', 'Failed');
    try {
      access.core.delete(CONTROLLER, access.def('pods'), pod.metadata.namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid! } });
    } catch (error) {
      if ((error as { code?: number }).code !== 404 && (error as { code?: number }).code !== 409) throw error;
    }
  }

  async function monitor(): Promise<void> {
    for (const node of access.list('nodes')) await monitorNode(node);
    for (const pod of access.list('pods') as Pod[]) {
      const nodeName = pod.spec.nodeName as string | undefined;
      const node = nodeName ? access.peek('nodes', undefined, nodeName) : undefined;
      if (node && access.peek('leases', NODE_LEASE_NAMESPACE, node.metadata.name)) await evict(pod, taintsOf(node));
      await collect(pod);
    }
  }

  const loop = async (every: number, body: () => Promise<void>, where: string) => {
    do {
      try {
        await body();
      } catch (error) {
        if (!signal.aborted) scheduler.report(error, where);
      }
    } while (await sleepFor(s, every));
  };
  void (async () => {
    // The runner registers the Node objects (a pod is bound only to an existing one); the Lease starts with the first heartbeat.
    await pods.registered;
    for (const name of pods.nodes) await renew(name);
    void loop(heartbeatMs, async () => {
      for (const name of pods.nodes) if (pods.isNodeAlive(name) && access.peek('nodes', undefined, name)) await renew(name);
    }, 'kubelet heartbeat');
    void loop(periodMs, monitor, 'node lifecycle controller');
  })().catch((error: unknown) => scheduler.report(error, 'node registration'));
  return () => stop.abort();
}
