// The simulated Job controller: one pod per attempt, a failed or deleted pod replaced until backoffLimit, activeDeadlineSeconds, Complete/Failed conditions.

import type { ClusterAccess } from '../actors/access.js';
import type { Scheduler } from '../actors/schedule.js';
import type { KObject, StoreEvent } from '../store/types.js';
import type { Json } from '../json.js';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';

export interface JobControllerOptions {
  /** Wait before replacing the n-th failed pod (the real controller: 10s doubling, capped at 6m). */
  replacementDelayMs?: (failures: number) => number;
}

const defaultDelay = (failures: number) => Math.min(10_000 * 2 ** Math.max(0, failures - 1), 360_000);

type Pod = KObject & { status?: { phase?: string; containerStatuses?: Json[] } };

const containerOf = (pod: Pod) => pod.status?.containerStatuses?.[0];

/** An evicted pod (DisruptionTarget) under an Ignore rule for it does not count against backoffLimit. */
function ignoresDisruption(spec: Json, pod: Pod): boolean {
  const conditions = ((pod.status as Json | undefined)?.conditions ?? []) as Json[];
  const rules = (spec.podFailurePolicy?.rules ?? []) as Json[];
  return rules.some((rule) => rule.action === 'Ignore' && ((rule.onPodConditions ?? []) as Json[]).some((want) => conditions.some((c) => c.type === want.type && c.status === (want.status ?? 'True'))));
}

/** A podFailurePolicy FailJob rule on exit codes (operator In) that the pod's terminated container matches. */
function matchesFailJob(spec: Json, pod: Pod): boolean {
  const code = containerOf(pod)?.state?.terminated?.exitCode;
  if (typeof code !== 'number') return false;
  return ((spec.podFailurePolicy?.rules ?? []) as Json[]).some((rule) => rule.action === 'FailJob' && rule.onExitCodes?.operator === 'In' && (rule.onExitCodes.values as number[]).includes(code));
}

/** With restartPolicy OnFailure the kubelet restarts a failed container in its pod: those restarts count against backoffLimit too. */
function restartsOf(spec: Json, active: Pod[]): number {
  if (spec.template?.spec?.restartPolicy !== 'OnFailure') return 0;
  return active.reduce((sum, pod) => sum + ((pod.status?.containerStatuses ?? []) as Json[]).reduce((n, c) => n + (typeof c.restartCount === 'number' ? c.restartCount : 0), 0), 0);
}

/** Reconciles every Job on each Job or pod change; returns stop(). */
export function startJobController(access: ClusterAccess, scheduler: Scheduler, options: JobControllerOptions = {}): () => void {
  const delay = options.replacementDelayMs ?? defaultDelay;
  // Failed attempts by Job uid, kept after their pods are removed: a Failed pod (unless an Ignore rule matches it) and a pod deleted
  // before it ended, as the real controller's finalizer tracking counts them.
  const failures = new Map<string, Set<string>>();
  const decided = new Map<string, { type: 'Complete' | 'Failed'; reason?: string; message?: string }>();
  const countFailure = (jobUid: string, podUid: string) => failures.set(jobUid, (failures.get(jobUid) ?? new Set<string>()).add(podUid));
  const pending = new Set<string>();
  const waiting = new Map<string, number>();
  let stopped = false;
  // One timer per Job and wake-up time: a Job reconciled on every pod change must not stack sleepers (and abort listeners).
  const wakeups = new Set<string>();
  const wakeAt = (uid: string, at: number, namespace: string, name: string) => {
    const key = `${uid}@${at}`;
    if (wakeups.has(key)) return;
    wakeups.add(key);
    void scheduler.clock.sleep(Math.max(0, at - scheduler.clock.now()), scheduler.signal).then(
      () => {
        wakeups.delete(key);
        reconcileSoon(namespace, name);
      },
      () => undefined,
    );
  };

  const reconcileSoon = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    if (pending.has(key) || stopped) return;
    pending.add(key);
    queueMicrotask(() => {
      pending.delete(key);
      reconcile(namespace, name).catch((error: unknown) => scheduler.report(error, `job ${key}`));
    });
  };

  async function reconcile(namespace: string, name: string): Promise<void> {
    const job = access.get('jobs', namespace, name);
    if (!job || stopped) return;
    const status = (job.status ?? {}) as Json;
    if (((status.conditions ?? []) as Json[]).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) return;
    const spec = job.spec as Json;
    const uid = job.metadata.uid!;
    const pods = access.list('pods', namespace).filter((p) => p.metadata.labels?.[CONTROLLER_UID_LABEL] === uid) as Pod[];
    // podReplacementPolicy: a pod being deleted is replaced at once (TerminatingOrFailed, the default without a podFailurePolicy), or only
    // once it Failed (Failed, the default with one): then a Job's next pod never runs beside its predecessor's last seconds.
    const replaceTerminating = (spec.podReplacementPolicy ?? (spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed')) === 'TerminatingOrFailed';
    const terminating = (p: Pod) => replaceTerminating && !!p.metadata.deletionTimestamp;
    const active = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !terminating(p));
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    for (const pod of pods) if ((pod.status?.phase === 'Failed' || (terminating(pod) && pod.status?.phase !== 'Succeeded')) && !ignoresDisruption(spec, pod)) countFailure(uid, pod.metadata.uid!);
    const failed = failures.get(uid)?.size ?? 0;
    const now = scheduler.clock.now();
    const startTime = (status.startTime as string | undefined) ?? new Date(now).toISOString();
    const deadline = typeof spec.activeDeadlineSeconds === 'number' ? Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
    const backoffLimit = typeof spec.backoffLimit === 'number' ? spec.backoffLimit : 6;
    // Decided once (the real controller's *Target condition): deleting the pods must not let a reconcile in between start another.
    let end = decided.get(uid);
    const policyFailure = pods.find((p) => p.status?.phase === 'Failed' && matchesFailJob(spec, p));
    if (end) {
      // already decided
    } else if (succeeded > 0) end = { type: 'Complete' };
    else if (policyFailure) end = { type: 'Failed', reason: 'PodFailurePolicy', message: `Container ${containerOf(policyFailure)?.name ?? ''} for pod ${namespace}/${policyFailure.metadata.name} failed with exit code ${containerOf(policyFailure)?.state?.terminated?.exitCode} matching FailJob rule at index 0` };
    else if (failed + restartsOf(spec, active) > backoffLimit) end = { type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    else if (deadline !== undefined && now >= deadline) end = { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    if (end) decided.set(uid, end);
    if (end?.type === 'Failed') for (const pod of active) await deletePod(pod);
    const nextActive = end ? 0 : active.length;
    if (!end && active.length === 0) {
      const wait = failed > 0 ? delay(failed) : 0;
      const at = waiting.get(uid) ?? now + wait;
      if (now >= at) {
        waiting.delete(uid);
        await createPod(job);
        return reconcileSoon(namespace, name);
      }
      waiting.set(uid, at);
      wakeAt(uid, at, namespace, name);
    }
    if (deadline !== undefined && !end) wakeAt(uid, deadline, namespace, name);
    await access.updateStatus('jobs', namespace, name, (current) => {
      const next: Json = { ...(current.status as Json | undefined), startTime, active: nextActive, succeeded, failed, ready: active.filter((p) => p.status?.phase === 'Running').length };
      if (end) {
        const at = new Date(now).toISOString();
        const conditions: Json[] = [];
        // The real controller sets the *Target conditions first and Complete/Failed once the pods are gone.
        if (end.type === 'Complete') conditions.push({ type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: at, lastTransitionTime: at });
        else conditions.push({ type: 'FailureTarget', status: 'True', reason: end.reason, message: end.message, lastProbeTime: at, lastTransitionTime: at });
        conditions.push({ type: end.type, status: 'True', ...(end.reason ? { reason: end.reason, message: end.message } : { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' }), lastProbeTime: at, lastTransitionTime: at });
        next.conditions = conditions;
        if (end.type === 'Complete') next.completionTime = at;
      }
      if (JSON.stringify(next) === JSON.stringify(current.status)) return false;
      current.status = next;
    });
  }

  async function createPod(job: KObject): Promise<void> {
    const template = structuredClone((job.spec as Json).template as Json);
    const labels = { ...(template.metadata?.labels as Record<string, string> | undefined), [JOB_NAME_LABEL]: job.metadata.name, [CONTROLLER_UID_LABEL]: job.metadata.uid!, 'job-name': job.metadata.name, 'controller-uid': job.metadata.uid! };
    await access.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...template.metadata,
        generateName: `${job.metadata.name}-`,
        namespace: job.metadata.namespace,
        labels,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: template.spec,
    });
  }

  async function deletePod(pod: Pod): Promise<void> {
    try {
      access.core.delete(access.user, access.def('pods'), pod.metadata.namespace, pod.metadata.name);
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
    }
  }

  const onPod = (event: StoreEvent) => {
    const pod = event.stored.object as Pod;
    const jobName = pod.metadata.labels?.[JOB_NAME_LABEL];
    const uid = pod.metadata.labels?.[CONTROLLER_UID_LABEL];
    if (!jobName || !uid) return;
    const job = access.peek('jobs', pod.metadata.namespace, jobName);
    const ignored = !!job && ignoresDisruption(job.spec as Json, pod);
    const ended = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (!ignored && (pod.status?.phase === 'Failed' || (event.type === 'DELETED' && !ended))) countFailure(uid, pod.metadata.uid!);
    reconcileSoon(pod.metadata.namespace!, jobName);
  };
  const onJob = (event: StoreEvent) => {
    if (event.type !== 'DELETED') reconcileSoon(event.stored.object.metadata.namespace!, event.stored.object.metadata.name);
  };
  const stops = [access.subscribe('pods', onPod), access.subscribe('jobs', onJob)];
  for (const job of access.list('jobs')) reconcileSoon(job.metadata.namespace!, job.metadata.name);
  return () => {
    stopped = true;
    for (const stop of stops) stop();
  };
}
