// Per-resource write rules (what create resets, what an update may change, what is valid), as real strategies do.

import { randomUUID } from 'node:crypto';
import type { ResourceDef } from '../resources.js';
import type { KObject } from '../store/types.js';
import type { UserInfo } from './auth.js';
import { applyCsrApproval, applyCsrStatus, checkCsrUpdate, prepareCsrCreate } from './csr-rules.js';
import { foldStringData } from './secrets.js';
import { badRequest, invalid, type FieldCause } from './status.js';
import { parseCronSchedule } from '../workloads/cron-schedule.js';
import type { Json } from '../json.js';

const CSR = 'certificatesigningrequests';


/** API defaults kubectl relies on (rollout status needs the DaemonSet/StatefulSet update strategy type). */
export function applyDefaults(def: ResourceDef, object: KObject): void {
  applyPodDefaults(def, object);
  if (def.resource === 'cronjobs') return applyCronJobDefaults(object);
  if (def.resource === 'jobs' && def.group === 'batch') return applyJobDefaults(object);
  // SetDefaults_Secret; a protobuf body (kubectl) carries type "" where JSON leaves it out.
  if (def.resource === 'secrets' && def.group === '') return void (object.type ||= 'Opaque');
  if (def.resource !== 'daemonsets' && def.resource !== 'deployments' && def.resource !== 'statefulsets') return;
  const spec = ((object.spec as Json | undefined) ?? {}) as Json;
  object.spec = spec;
  spec.revisionHistoryLimit ??= 10;
  if (def.resource === 'daemonsets') {
    spec.updateStrategy ??= { type: 'RollingUpdate' };
    if (spec.updateStrategy.type === 'RollingUpdate') spec.updateStrategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
  } else if (def.resource === 'statefulsets') {
    spec.replicas ??= 1;
    spec.podManagementPolicy ??= 'OrderedReady';
    spec.updateStrategy ??= { type: 'RollingUpdate' };
    if (spec.updateStrategy.type === 'RollingUpdate') spec.updateStrategy.rollingUpdate ??= { partition: 0 };
  } else {
    spec.replicas ??= 1;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= { type: 'RollingUpdate' };
    if (spec.strategy.type === 'RollingUpdate') spec.strategy.rollingUpdate ??= { maxUnavailable: '25%', maxSurge: '25%' };
  }
}

/** The DefaultTolerationSeconds admission plugin: a pod without its own NoExecute toleration of not-ready/unreachable nodes gets one of 300 s. */
function addDefaultTolerations(pod: KObject): void {
  const spec = (pod.spec ?? {}) as { tolerations?: { key?: string; operator?: string; effect?: string; tolerationSeconds?: number }[] };
  const tolerations = spec.tolerations ?? [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (tolerations.some((t) => (t.key === key || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoExecute'))) continue;
    tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  pod.spec = { ...spec, tolerations };
}

/** Resets what a client may not set on create and stamps server-owned fields. */
export async function prepareCreate(def: ResourceDef, object: KObject, user: UserInfo): Promise<void> {
  applyDefaults(def, object);
  if (def.resource === CSR) return prepareCsrCreate(object, user);
  if (def.resource === 'secrets' && def.group === '') foldStringData(object);
  if (def.resource === 'jobs' && def.group === 'batch') generateJobSelector(object);
  if (def.statusOwnedBySubresource) delete object.status;
  if (def.resource === 'namespaces') {
    object.spec = { finalizers: ['kubernetes'], ...((object.spec as object) ?? {}) };
    object.status = { phase: 'Active' };
  }
  if (def.resource === 'pods') {
    object.status = { phase: 'Pending', ...((object.status as object) ?? {}) };
    addDefaultTolerations(object);
  }
  if (def.resource === 'persistentvolumeclaims') object.status = { phase: 'Pending' };
}

/** The object an update of `subresource` produces from the stored one and the client's body. */
export function prepareUpdate(def: ResourceDef, old: KObject, incoming: KObject, subresource: string | undefined, now: number): KObject {
  let next: KObject;
  if (def.resource === CSR) {
    if (subresource === 'approval') return applyCsrApproval(old, incoming, now);
    if (subresource === 'status') return applyCsrStatus(old, incoming, now);
    next = structuredClone(incoming);
    checkCsrUpdate(old, next);
  } else if (subresource === 'status') {
    next = structuredClone(old);
    next.status = structuredClone(incoming.status);
    if (next.status === undefined) delete next.status;
  } else if (subresource) {
    throw badRequest(`subresource ${subresource} is not supported for ${def.resource}`);
  } else {
    next = structuredClone(incoming);
    if (def.subresources.includes('status')) {
      if (old.status === undefined) delete next.status;
      else next.status = structuredClone(old.status);
    }
  }
  applyDefaults(def, next);
  if (def.resource === 'secrets' && def.group === '') foldStringData(next);
  const meta = next.metadata;
  meta.uid = old.metadata.uid;
  meta.creationTimestamp = old.metadata.creationTimestamp;
  meta.name = old.metadata.name;
  if (old.metadata.namespace) meta.namespace = old.metadata.namespace;
  else delete meta.namespace;
  if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
  if (old.metadata.generateName) meta.generateName = old.metadata.generateName;
  if (def.generation) {
    const changed = JSON.stringify(old.spec) !== JSON.stringify(next.spec);
    meta.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
  } else delete meta.generation;
  return next;
}

/** SetDefaults_CronJob: what `kubectl get cronjob -o yaml` shows for fields the manifest left out. */
function applyCronJobDefaults(object: KObject): void {
  const spec = ((object.spec as Json | undefined) ?? {}) as Json;
  object.spec = spec;
  spec.concurrencyPolicy ??= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
}

/** Where a resource keeps its pod spec: the Pod's own, a workload's template, a CronJob's job template. */
function podSpecOf(def: ResourceDef, object: KObject): Json | undefined {
  const spec = object.spec as Json | undefined;
  if (def.group === '' && def.resource === 'pods') return spec;
  if (def.group === 'batch' && def.resource === 'cronjobs') return spec?.jobTemplate?.spec?.template?.spec;
  if ((def.group === 'batch' && def.resource === 'jobs') || (def.group === 'apps' && ['deployments', 'statefulsets', 'daemonsets'].includes(def.resource))) return spec?.template?.spec;
  return undefined;
}

/**
 * SetDefaults_PodSpec, _Container, _ContainerPort and the ConfigMap/Secret volume modes, on pods and pod templates alike (enableServiceLinks
 * on pods only, as SetDefaults_Pod). Not terminationGracePeriodSeconds: the pod runner's configurable grace stands for a pod without one.
 */
function applyPodDefaults(def: ResourceDef, object: KObject): void {
  const spec = podSpecOf(def, object);
  if (!spec || typeof spec !== 'object') return;
  spec.dnsPolicy ||= 'ClusterFirst';
  spec.restartPolicy ||= 'Always';
  spec.securityContext ??= {};
  spec.schedulerName ||= 'default-scheduler';
  if (def.resource === 'pods') spec.enableServiceLinks ??= true;
  for (const container of [...((spec.containers ?? []) as Json[]), ...((spec.initContainers ?? []) as Json[])]) {
    container.imagePullPolicy ||= imageTag(String(container.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
    container.terminationMessagePath ||= '/dev/termination-log';
    container.terminationMessagePolicy ||= 'File';
    for (const port of (container.ports ?? []) as Json[]) port.protocol ||= 'TCP';
  }
  for (const volume of (spec.volumes ?? []) as Json[]) {
    if (volume.configMap) volume.configMap.defaultMode ??= 420;
    if (volume.secret) volume.secret.defaultMode ??= 420;
  }
}

/** The tag parseImageName finds: after the last path component's colon, "latest" when neither tag nor digest is given. */
function imageTag(image: string): string {
  if (image.includes('@')) return '';
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.lastIndexOf(':');
  return colon < 0 ? 'latest' : last.slice(colon + 1);
}

/** SetDefaults_Job: a typed client reads completions, parallelism, backoffLimit, … from what a real server stores. */
function applyJobDefaults(object: KObject): void {
  const spec = ((object.spec as Json | undefined) ?? {}) as Json;
  object.spec = spec;
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex === undefined ? 6 : 2147483647;
  const templateLabels = spec.template?.metadata?.labels as Record<string, string> | undefined;
  if (templateLabels && Object.keys(object.metadata.labels ?? {}).length === 0) object.metadata.labels = { ...templateLabels };
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  spec.manualSelector ??= false;
  for (const rule of (spec.podFailurePolicy?.rules ?? []) as Json[]) for (const pattern of (rule.onPodConditions ?? []) as Json[]) pattern.status ??= 'True';
}

/** The job strategy's generated selector: the Job's uid (assigned here, before validation, as the real server does) in the selector and the template's labels. */
function generateJobSelector(object: KObject): void {
  const spec = object.spec as Json;
  if (spec.manualSelector === true) return;
  const uid = (object.metadata.uid ??= randomUUID());
  spec.template ??= {};
  spec.template.metadata ??= {};
  const labels = (spec.template.metadata.labels ??= {}) as Record<string, string>;
  for (const key of ['job-name', 'batch.kubernetes.io/job-name']) labels[key] ??= object.metadata.name;
  for (const key of ['controller-uid', 'batch.kubernetes.io/controller-uid']) labels[key] ??= uid;
  spec.selector ??= {};
  spec.selector.matchLabels ??= {};
  spec.selector.matchLabels['batch.kubernetes.io/controller-uid'] ??= uid;
}

const MANAGEMENT_STATES = ['Managed', 'Unmanaged', 'Removed', 'Force'];
const ROLLOUT_STRATEGIES = ['RollingUpdate', 'Recreate'];

/** Field-level validation that answers 422 Invalid. */
export function validateObject(def: ResourceDef, object: KObject): void {
  const causes: FieldCause[] = [];
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  if (def.resource === 'leases' && spec.leaseDurationSeconds !== undefined) {
    if (!Number.isInteger(spec.leaseDurationSeconds) || (spec.leaseDurationSeconds as number) <= 0) {
      causes.push({ field: 'spec.leaseDurationSeconds', message: `Invalid value: ${JSON.stringify(spec.leaseDurationSeconds)}: must be greater than 0` });
    }
  }
  if ((def.resource === 'deployments' || def.resource === 'statefulsets' || def.resource === 'configs') && spec.replicas !== undefined) {
    if (!Number.isInteger(spec.replicas) || (spec.replicas as number) < 0) {
      causes.push({ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0` });
    }
  }
  if (def.resource === 'configs') {
    if (spec.managementState !== undefined && !MANAGEMENT_STATES.includes(String(spec.managementState))) {
      causes.push({ field: 'spec.managementState', message: `Unsupported value: ${JSON.stringify(spec.managementState)}: supported values: ${MANAGEMENT_STATES.map((s) => `"${s}"`).join(', ')}`, reason: 'FieldValueNotSupported' });
    }
    if (spec.rolloutStrategy !== undefined && !ROLLOUT_STRATEGIES.includes(String(spec.rolloutStrategy))) {
      causes.push({ field: 'spec.rolloutStrategy', message: `Unsupported value: ${JSON.stringify(spec.rolloutStrategy)}: supported values: "RollingUpdate", "Recreate"`, reason: 'FieldValueNotSupported' });
    }
  }
  if (def.resource === 'persistentvolumeclaims') {
    const modes = spec.accessModes;
    if (!Array.isArray(modes) || modes.length === 0) causes.push({ field: 'spec.accessModes', message: 'Required value: at least 1 access mode is required', reason: 'FieldValueRequired' });
    const storage = (spec.resources as { requests?: { storage?: unknown } } | undefined)?.requests?.storage;
    if (storage === undefined) causes.push({ field: 'spec.resources[storage]', message: 'Required value', reason: 'FieldValueRequired' });
  }
  if (def.resource === 'cronjobs') causes.push(...validateCronJob(spec));
  if (def.resource === 'configmaps' && def.group === '') causes.push(...validateConfigMapKeys(object as Json));
  if (causes.length > 0) throw invalid(def.kind, def.group, object.metadata.name, causes);
}

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** ValidateConfigMap's key rules: a key is a valid config key and appears in data or binaryData, not both. */
function validateConfigMapKeys(object: Json): FieldCause[] {
  const causes: FieldCause[] = [];
  const data = (object.data ?? {}) as Record<string, unknown>;
  const binary = (object.binaryData ?? {}) as Record<string, unknown>;
  const keyProblems = (key: string): string[] => {
    const problems: string[] = [];
    if (key.length > 253) problems.push('must be no more than 253 characters');
    if (!CONFIG_KEY.test(key)) {
      problems.push("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    }
    if (key === '.') problems.push("must not be '.'");
    else if (key === '..') problems.push("must not be '..'");
    else if (key.startsWith('..')) problems.push("must not start with '..'");
    return problems;
  };
  for (const key of Object.keys(data)) {
    for (const problem of keyProblems(key)) causes.push({ field: `data[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: ${problem}` });
    if (key in binary) causes.push({ field: `data[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: duplicate of key present in binaryData` });
  }
  for (const key of Object.keys(binary)) {
    for (const problem of keyProblems(key)) causes.push({ field: `binaryData[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: ${problem}` });
  }
  return causes;
}

const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];

/** What kube-apiserver checks of a CronJob: a schedule it can parse, a known time zone, a known concurrencyPolicy. */
function validateCronJob(spec: Record<string, unknown>): FieldCause[] {
  const causes: FieldCause[] = [];
  const schedule = spec.schedule;
  const timeZone = spec.timeZone;
  if (typeof schedule !== 'string' || schedule === '') causes.push({ field: 'spec.schedule', message: 'Required value', reason: 'FieldValueRequired' });
  else if (/^\s*(CRON_)?TZ=/.test(schedule)) causes.push({ field: 'spec.schedule', message: `Invalid value: ${JSON.stringify(schedule)}: cannot use TZ or CRON_TZ in schedule, use timeZone field instead` });
  else {
    try {
      parseCronSchedule(schedule);
    } catch (error) {
      causes.push({ field: 'spec.schedule', message: `Invalid value: ${JSON.stringify(schedule)}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}` });
    }
  }
  if (typeof timeZone === 'string') {
    try {
      new Intl.DateTimeFormat('en', { timeZone });
    } catch {
      causes.push({ field: 'spec.timeZone', message: `Invalid value: ${JSON.stringify(timeZone)}: unknown time zone ${timeZone}` });
    }
  }
  if (spec.concurrencyPolicy !== undefined && !CONCURRENCY_POLICIES.includes(String(spec.concurrencyPolicy))) {
    causes.push({ field: 'spec.concurrencyPolicy', message: `Unsupported value: ${JSON.stringify(spec.concurrencyPolicy)}: supported values: "Allow", "Forbid", "Replace"`, reason: 'FieldValueNotSupported' });
  }
  return causes;
}
