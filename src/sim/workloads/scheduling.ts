// The scheduler's filter for the simulated kubelet's pods: which Node objects a pod may be bound to, and kube-scheduler's "0/N nodes are available" message when none.

import type { Json } from '../json.js';
import type { KObject } from '../store/types.js';

export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

/** Whether one toleration tolerates a taint (operator Exists matches any value; an empty key with Exists matches every taint). */
export function tolerates(toleration: Json, taint: Json): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if ((toleration.operator ?? 'Equal') === 'Exists') return !toleration.key || toleration.key === taint.key;
  return toleration.key === taint.key && (toleration.value ?? '') === (taint.value ?? '');
}

/** Why `node` cannot take `pod`, in kube-scheduler's words (one filter reason), or undefined when it can. */
export function unfitReason(node: KObject, pod: { spec: Json }): string | undefined {
  const spec = (node.spec ?? {}) as Json;
  if (spec.unschedulable && !((pod.spec.tolerations ?? []) as Json[]).some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) return 'node(s) were unschedulable';
  const tolerations = (pod.spec.tolerations ?? []) as Json[];
  const taint = ((spec.taints ?? []) as Json[]).find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerations.some((x) => tolerates(x, t)));
  if (taint) return `node(s) had untolerated taint {${taint.key as string}: ${(taint.value as string | undefined) ?? ''}}`;
  // A NotReady node carries the node controller's not-ready taint; where nothing tainted it yet, the scheduler's answer is the same.
  const ready = (((node.status as Json | undefined)?.conditions ?? []) as Json[]).find((c) => c.type === 'Ready');
  if (ready?.status !== 'True' && !tolerations.some((x) => tolerates(x, { key: NOT_READY_TAINT, effect: 'NoSchedule' }))) return `node(s) had untolerated taint {${NOT_READY_TAINT}: }`;
  return undefined;
}

/** kube-scheduler's FailedScheduling message given each node's reason for refusing the pod, reasons counted and sorted as it prints them. */
export function unschedulableMessage(reasons: string[]): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  const total = reasons.length;
  if (total === 0) return 'no nodes available to schedule pods';
  const why = parts.length > 0 ? ` ${parts.join(', ')}.` : '';
  return `0/${total} nodes are available:${why} preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
}
