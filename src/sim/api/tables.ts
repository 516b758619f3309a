// meta.k8s.io/v1 Table rendering with the columns kubectl shows for each kind (server-side printing).

import type { ResourceDef } from '../resources.js';
import type { KObject } from '../store/types.js';
import type { Json } from '../json.js';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  priority?: number;
  description?: string;
  cell: (object: KObject, now: number) => string | number;
}


/** kubectl's HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (years < 8) return `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

function age(object: KObject, now: number): string {
  const created = Date.parse(object.metadata.creationTimestamp ?? '');
  return Number.isNaN(created) ? '<unknown>' : humanDuration(now - created);
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', cell: (o) => o.metadata.name };
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', cell: age };

function conditionStatus(object: Json, type: string): string {
  const c = (object.status?.conditions ?? []).find((x: Json) => x.type === type);
  return c?.status ?? '';
}

function csrCondition(o: Json): string {
  const conditions: Json[] = o.status?.conditions ?? [];
  const parts = conditions.filter((c) => c.status === 'True' || !c.status).map((c) => c.type as string);
  if (parts.length === 0) parts.push('Pending');
  if (o.status?.certificate) parts.push('Issued');
  return parts.join(',');
}

function nodeStatus(o: Json): string {
  const ready = conditionStatus(o, 'Ready');
  let text = ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown';
  if (o.spec?.unschedulable) text += ',SchedulingDisabled';
  return text;
}

function nodeRoles(o: Json): string {
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((l) => l.startsWith('node-role.kubernetes.io/'))
    .map((l) => l.slice('node-role.kubernetes.io/'.length))
    .filter((r) => r !== '');
  return roles.length ? roles.sort().join(',') : '<none>';
}

function nodeAddress(o: Json, type: string): string {
  return (o.status?.addresses ?? []).find((a: Json) => a.type === type)?.address ?? '<none>';
}

function sinceCondition(o: Json, type: string, now: number): string {
  const c = (o.status?.conditions ?? []).find((x: Json) => x.type === type);
  const t = Date.parse(c?.lastTransitionTime ?? '');
  return Number.isNaN(t) ? '' : humanDuration(now - t);
}

const s = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
const n = (value: unknown): number => (typeof value === 'number' ? value : 0);

const COLUMNS: Record<string, Column[]> = {
  certificatesigningrequests: [
    NAME,
    AGE,
    { name: 'SignerName', type: 'string', cell: (o: Json) => s(o.spec?.signerName) },
    { name: 'Requestor', type: 'string', cell: (o: Json) => s(o.spec?.username) },
    { name: 'RequestedDuration', type: 'string', cell: (o: Json) => (o.spec?.expirationSeconds ? humanDuration(o.spec.expirationSeconds * 1000) : '<none>') },
    { name: 'Condition', type: 'string', cell: (o: Json) => csrCondition(o) },
  ],
  nodes: [
    NAME,
    { name: 'Status', type: 'string', cell: (o: Json) => nodeStatus(o) },
    { name: 'Roles', type: 'string', cell: (o: Json) => nodeRoles(o) },
    AGE,
    { name: 'Version', type: 'string', cell: (o: Json) => s(o.status?.nodeInfo?.kubeletVersion) },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o: Json) => nodeAddress(o, 'InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o: Json) => nodeAddress(o, 'ExternalIP') },
    { name: 'OS-Image', type: 'string', priority: 1, cell: (o: Json) => s(o.status?.nodeInfo?.osImage) },
    { name: 'Kernel-Version', type: 'string', priority: 1, cell: (o: Json) => s(o.status?.nodeInfo?.kernelVersion) },
    { name: 'Container-Runtime', type: 'string', priority: 1, cell: (o: Json) => s(o.status?.nodeInfo?.containerRuntimeVersion) },
  ],
  clusteroperators: [
    NAME,
    { name: 'Version', type: 'string', cell: (o: Json) => s((o.status?.versions ?? []).find((v: Json) => v.name === 'operator')?.version) },
    { name: 'Available', type: 'string', cell: (o: Json) => conditionStatus(o, 'Available') },
    { name: 'Progressing', type: 'string', cell: (o: Json) => conditionStatus(o, 'Progressing') },
    { name: 'Degraded', type: 'string', cell: (o: Json) => conditionStatus(o, 'Degraded') },
    { name: 'Since', type: 'date', cell: (o: Json, now) => sinceCondition(o, 'Available', now) },
    { name: 'Message', type: 'string', cell: (o: Json) => s((o.status?.conditions ?? []).find((c: Json) => c.type === 'Degraded' && c.status === 'True')?.message ?? (o.status?.conditions ?? []).find((c: Json) => c.type === 'Progressing' && c.status === 'True')?.message) },
  ],
  clusterversions: [
    NAME,
    { name: 'Version', type: 'string', cell: (o: Json) => s(o.status?.desired?.version) },
    { name: 'Available', type: 'string', cell: (o: Json) => conditionStatus(o, 'Available') },
    { name: 'Progressing', type: 'string', cell: (o: Json) => conditionStatus(o, 'Progressing') },
    { name: 'Since', type: 'date', cell: (o: Json, now) => sinceCondition(o, 'Progressing', now) },
    { name: 'Status', type: 'string', cell: (o: Json) => s((o.status?.conditions ?? []).find((c: Json) => c.type === 'Progressing')?.message) },
  ],
  deployments: [
    NAME,
    { name: 'Ready', type: 'string', cell: (o: Json) => `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas ?? 1)}` },
    { name: 'Up-to-date', type: 'integer', cell: (o: Json) => n(o.status?.updatedReplicas) },
    { name: 'Available', type: 'integer', cell: (o: Json) => n(o.status?.availableReplicas) },
    AGE,
  ],
  daemonsets: [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o: Json) => n(o.status?.desiredNumberScheduled) },
    { name: 'Current', type: 'integer', cell: (o: Json) => n(o.status?.currentNumberScheduled) },
    { name: 'Ready', type: 'integer', cell: (o: Json) => n(o.status?.numberReady) },
    { name: 'Up-to-date', type: 'integer', cell: (o: Json) => n(o.status?.updatedNumberScheduled) },
    { name: 'Available', type: 'integer', cell: (o: Json) => n(o.status?.numberAvailable) },
    { name: 'Node Selector', type: 'string', cell: (o: Json) => Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${String(v)}`).join(',') || '<none>' },
    AGE,
  ],
  pods: [
    NAME,
    { name: 'Ready', type: 'string', cell: (o: Json) => `${(o.status?.containerStatuses ?? []).filter((c: Json) => c.ready).length}/${(o.spec?.containers ?? []).length}` },
    { name: 'Status', type: 'string', cell: (o: Json) => s(o.status?.phase) },
    { name: 'Restarts', type: 'integer', cell: (o: Json) => (o.status?.containerStatuses ?? []).reduce((t: number, c: Json) => t + n(c.restartCount), 0) },
    AGE,
    // kubectl get pods -o wide: where the pod runs.
    { name: 'IP', type: 'string', priority: 1, cell: (o: Json) => o.status?.podIP || '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (o: Json) => o.spec?.nodeName || '<none>' },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: (o: Json) => o.status?.nominatedNodeName || '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: (o: Json) => ((o.spec?.readinessGates ?? []) as Json[]).length === 0 ? '<none>' : `${((o.spec.readinessGates as Json[]).filter((g) => ((o.status?.conditions ?? []) as Json[]).some((c) => c.type === g.conditionType && c.status === 'True'))).length}/${(o.spec.readinessGates as Json[]).length}` },
  ],
  namespaces: [NAME, { name: 'Status', type: 'string', cell: (o: Json) => s(o.status?.phase) }, AGE],
  secrets: [NAME, { name: 'Type', type: 'string', cell: (o: Json) => s(o.type ?? 'Opaque') }, { name: 'Data', type: 'integer', cell: (o: Json) => Object.keys(o.data ?? {}).length }, AGE],
  configmaps: [NAME, { name: 'Data', type: 'integer', cell: (o: Json) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length }, AGE],
  persistentvolumeclaims: [
    NAME,
    { name: 'Status', type: 'string', cell: (o: Json) => s(o.status?.phase) },
    { name: 'Volume', type: 'string', cell: (o: Json) => s(o.spec?.volumeName) },
    { name: 'Capacity', type: 'string', cell: (o: Json) => s(o.status?.capacity?.storage) },
    { name: 'Access Modes', type: 'string', cell: (o: Json) => (o.status?.accessModes ?? o.spec?.accessModes ?? []).map((m: string) => ({ ReadWriteOnce: 'RWO', ReadWriteMany: 'RWX', ReadOnlyMany: 'ROX', ReadWriteOncePod: 'RWOP' })[m] ?? m).join(',') },
    { name: 'StorageClass', type: 'string', cell: (o: Json) => s(o.spec?.storageClassName) },
    AGE,
  ],
  cronjobs: [
    NAME,
    { name: 'Schedule', type: 'string', cell: (o: Json) => s(o.spec?.schedule) },
    { name: 'Timezone', type: 'string', cell: (o: Json) => s(o.spec?.timeZone) || '<none>' },
    { name: 'Suspend', type: 'string', cell: (o: Json) => (o.spec?.suspend === true ? 'True' : 'False') },
    { name: 'Active', type: 'integer', cell: (o: Json) => (o.status?.active ?? []).length },
    { name: 'Last Schedule', type: 'date', cell: (o: Json, now) => (o.status?.lastScheduleTime ? humanDuration(now - Date.parse(o.status.lastScheduleTime)) : '<none>') },
    AGE,
  ],
  leases: [NAME, { name: 'Holder', type: 'string', cell: (o: Json) => s(o.spec?.holderIdentity) }, AGE],
  machines: [
    NAME,
    { name: 'Phase', type: 'string', cell: (o: Json) => s(o.status?.phase) },
    { name: 'Type', type: 'string', cell: (o: Json) => s(o.metadata.labels?.['machine.openshift.io/instance-type']) },
    { name: 'Node', type: 'string', priority: 1, cell: (o: Json) => s(o.status?.nodeRef?.name) },
    AGE,
  ],
};

/** Column definitions as the Table object lists them. */
export function tableColumns(def: ResourceDef): object[] {
  return (COLUMNS[def.resource] ?? [NAME, AGE]).map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? c.name,
    priority: c.priority ?? 0,
  }));
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** One Table row for an object, embedding it as kubectl asked (`includeObject`). */
export function tableRow(def: ResourceDef, object: KObject, now: number, include: IncludeObject): object {
  const cells = (COLUMNS[def.resource] ?? [NAME, AGE]).map((c) => c.cell(object, now));
  if (include === 'None') return { cells };
  if (include === 'Object') return { cells, object };
  const { managedFields: _, ...metadata } = object.metadata;
  return { cells, object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata } };
}

export function renderTable(
  def: ResourceDef,
  objects: KObject[],
  listMeta: Record<string, unknown>,
  now: number,
  include: IncludeObject,
  withColumns = true,
): object {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? tableColumns(def) : null,
    rows: objects.map((o) => tableRow(def, o, now, include)),
  };
}
