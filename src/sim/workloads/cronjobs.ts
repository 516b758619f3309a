// The simulated CronJob controller: Jobs from spec.jobTemplate at the schedule's times on the sim clock, as kube-controller-manager's cronjob-v2 does.

import type { ClusterAccess } from '../actors/access.js';
import type { Scheduler } from '../actors/schedule.js';
import type { KObject, StoreEvent } from '../store/types.js';
import type { Json } from '../json.js';
import { parseCronSchedule, type CronSchedule } from './cron-schedule.js';
import { CONTROLLER_UID_LABEL } from './jobs.js';

/** The annotation the real controller puts on each Job it creates: the scheduled time it stands for. */
export const CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

type JobEnd = 'Complete' | 'Failed' | undefined;

/** metav1.Time's form: RFC 3339 in UTC, whole seconds. */
const kubeTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** RFC 3339 in `timeZone` (the real controller writes the scheduled-timestamp annotation in the CronJob's zone; UTC without one). */
function zonedTime(ms: number, timeZone: string | undefined): string {
  if (!timeZone) return kubeTime(ms);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms).map((p) => [p.type, p.value]));
  const wall = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  const offset = Math.round((Date.parse(`${wall}Z`) - Math.floor(ms / 1000) * 1000) / 60_000);
  if (offset === 0) return `${wall}Z`;
  const abs = Math.abs(offset);
  return `${wall}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function endOf(job: KObject): JobEnd {
  const conditions = ((job.status as Json | undefined)?.conditions ?? []) as Json[];
  return conditions.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type as JobEnd;
}

const ownerOf = (job: KObject) => ((job.metadata.ownerReferences ?? []) as Json[]).find((r) => r.controller === true && r.kind === 'CronJob');

/** When a Job started (for history order): status.startTime, else its creation. */
const startedAt = (job: KObject) => Date.parse(((job.status as Json | undefined)?.startTime as string | undefined) ?? job.metadata.creationTimestamp ?? '') || 0;

const refTo = (job: KObject) => ({ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, namespace: job.metadata.namespace, uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion });

/** The latest scheduled time in (earliest, now]: the real controller starts only the latest one it missed. */
function mostRecentTime(schedule: CronSchedule, earliest: number, now: number): number | undefined {
  let at: number | undefined;
  for (let t = schedule.next(earliest); t !== undefined && t <= now; t = schedule.next(t)) at = t;
  return at;
}

/** Reconciles every CronJob on each CronJob or owned-Job change and at its next scheduled time; returns stop(). */
export function startCronJobController(access: ClusterAccess, scheduler: Scheduler): () => void {
  const clock = scheduler.clock;
  const pending = new Set<string>();
  // One wake-up per CronJob: a new time replaces the old one.
  const wakeups = new Map<string, { at: number; cancel: () => void }>();
  const refused = new Set<string>();
  let stopped = false;

  // One reconcile per CronJob at a time: a change seen while one runs queues exactly one more.
  const running = new Map<string, Promise<void>>();
  const reconcileSoon = (namespace: string, name: string) => {
    const key = `${namespace}/${name}`;
    if (pending.has(key) || stopped) return;
    pending.add(key);
    const previous = running.get(key) ?? Promise.resolve();
    const next = previous.then(() => {
      pending.delete(key);
      return reconcile(namespace, name).catch((error: unknown) => scheduler.report(error, `cronjob ${key}`));
    });
    running.set(key, next);
    void next.then(() => {
      if (running.get(key) === next) running.delete(key);
    });
  };

  const wakeAt = (namespace: string, name: string, at: number) => {
    const key = `${namespace}/${name}`;
    const current = wakeups.get(key);
    if (current?.at === at) return;
    current?.cancel();
    const cancel = clock.timer(Math.max(0, at - clock.now()), () => {
      wakeups.delete(key);
      reconcileSoon(namespace, name);
    });
    wakeups.set(key, { at, cancel });
  };

  /** Deletes a Job and its pods (the simulation has no garbage collector to follow ownerReferences). */
  const deleteJob = (job: KObject) => {
    const namespace = job.metadata.namespace!;
    for (const pod of access.list('pods', namespace).filter((p) => p.metadata.labels?.[CONTROLLER_UID_LABEL] === job.metadata.uid)) ignoreMissing(() => access.core.delete(access.user, access.def('pods'), namespace, pod.metadata.name));
    ignoreMissing(() => access.core.delete(access.user, access.def('jobs'), namespace, job.metadata.name));
  };

  async function reconcile(namespace: string, name: string): Promise<void> {
    const cronJob = access.get('cronjobs', namespace, name);
    if (!cronJob || stopped || cronJob.metadata.deletionTimestamp) return;
    const spec = cronJob.spec as Json;
    const status = (cronJob.status ?? {}) as Json;
    const uid = cronJob.metadata.uid!;
    const owned = access.list('jobs', namespace).filter((j) => ownerOf(j)?.uid === uid);
    const active = owned.filter((j) => endOf(j) === undefined);
    const now = clock.now();

    // History: keep the newest successfulJobsHistoryLimit (default 3) and failedJobsHistoryLimit (default 1) finished Jobs.
    for (const [end, limit] of [['Complete', spec.successfulJobsHistoryLimit ?? 3], ['Failed', spec.failedJobsHistoryLimit ?? 1]] as const) {
      const finished = owned.filter((j) => endOf(j) === end).sort((a, b) => startedAt(a) - startedAt(b));
      for (const job of finished.slice(0, Math.max(0, finished.length - (limit as number)))) deleteJob(job);
    }
    const completions = owned.filter((j) => endOf(j) === 'Complete').map((j) => Date.parse(((j.status as Json).completionTime as string | undefined) ?? '') || 0);
    const lastSuccessful = Math.max(Date.parse((status.lastSuccessfulTime as string | undefined) ?? '') || 0, ...completions);

    let lastSchedule = status.lastScheduleTime as string | undefined;
    const nowActive: KObject[] = [...active];
    const schedule = scheduleOf(cronJob);
    if (schedule && spec.suspend !== true) {
      const deadline = typeof spec.startingDeadlineSeconds === 'number' ? spec.startingDeadlineSeconds * 1000 : undefined;
      let earliest = Date.parse(lastSchedule ?? cronJob.metadata.creationTimestamp ?? '') || now;
      if (deadline !== undefined) earliest = Math.max(earliest, now - deadline);
      const at = mostRecentTime(schedule, earliest, now);
      const tooLate = at !== undefined && deadline !== undefined && at + deadline < now;
      // Forbid: while a Job runs, the due time waits (it starts once that Job ends, if still within startingDeadlineSeconds).
      const blocked = spec.concurrencyPolicy === 'Forbid' && active.length > 0;
      if (at !== undefined && !tooLate && !blocked) {
        if (spec.concurrencyPolicy === 'Replace') {
          for (const job of active) deleteJob(job);
          nowActive.length = 0;
        }
        const created = await createJob(cronJob, at);
        if (created && !nowActive.some((j) => j.metadata.uid === created.metadata.uid)) nowActive.push(created);
        lastSchedule = kubeTime(at);
      }
      const next = schedule.next(now);
      if (next !== undefined) wakeAt(namespace, name, next);
    }

    await access.updateStatus('cronjobs', namespace, name, (current) => {
      const next: Json = { ...(current.status as Json | undefined) };
      if (nowActive.length > 0) next.active = nowActive.map(refTo);
      else delete next.active;
      if (lastSchedule !== undefined) next.lastScheduleTime = lastSchedule;
      if (lastSuccessful > 0) next.lastSuccessfulTime = kubeTime(lastSuccessful);
      if (JSON.stringify(next) === JSON.stringify(current.status ?? {})) return false;
      current.status = next;
    });
  }

  /** The parsed schedule, or undefined (reported once per schedule) when it cannot be parsed. */
  function scheduleOf(cronJob: KObject): CronSchedule | undefined {
    const spec = cronJob.spec as Json;
    try {
      return parseCronSchedule(String(spec.schedule), spec.timeZone as string | undefined);
    } catch (error) {
      const key = `${cronJob.metadata.uid}:${spec.schedule}:${spec.timeZone}`;
      if (!refused.has(key)) scheduler.report(error, `cronjob ${cronJob.metadata.namespace}/${cronJob.metadata.name}`);
      refused.add(key);
      return undefined;
    }
  }

  /** The Job for scheduled time `at`, named <cronjob>-<minutes since the epoch>; an existing one of that name is the same run. */
  async function createJob(cronJob: KObject, at: number): Promise<KObject | undefined> {
    const template = structuredClone(((cronJob.spec as Json).jobTemplate ?? {}) as Json);
    const name = `${cronJob.metadata.name}-${Math.floor(at / 60_000)}`;
    try {
      return await access.create('jobs', {
        metadata: {
          ...template.metadata,
          name,
          namespace: cronJob.metadata.namespace,
          annotations: { ...template.metadata?.annotations, [CRONJOB_SCHEDULED_TIMESTAMP]: zonedTime(at, (cronJob.spec as Json).timeZone as string | undefined) },
          ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata.name, uid: cronJob.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: template.spec,
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
      return access.get('jobs', cronJob.metadata.namespace, name);
    }
  }

  const onCronJob = (event: StoreEvent) => {
    const { namespace, name } = event.stored.object.metadata;
    if (event.type !== 'DELETED') return reconcileSoon(namespace!, name);
    wakeups.get(`${namespace}/${name}`)?.cancel();
    wakeups.delete(`${namespace}/${name}`);
  };
  const onJob = (event: StoreEvent) => {
    const owner = ownerOf(event.stored.object);
    if (owner) reconcileSoon(event.stored.object.metadata.namespace!, owner.name as string);
  };
  const stops = [access.subscribe('cronjobs', onCronJob), access.subscribe('jobs', onJob)];
  for (const cronJob of access.list('cronjobs')) reconcileSoon(cronJob.metadata.namespace!, cronJob.metadata.name);
  return () => {
    stopped = true;
    for (const stop of stops) stop();
    for (const { cancel } of wakeups.values()) cancel();
    wakeups.clear();
  };
}

function ignoreMissing(remove: () => unknown): void {
  try {
    remove();
  } catch (error) {
    if ((error as { code?: number }).code !== 404) throw error;
  }
}
