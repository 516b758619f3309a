// batch/v1 Job from its protobuf body (`kubectl create job [--from=cronjob/NAME]` sends one): a field table per message of
// k8s.io/api's generated.proto, decoded generically; a field the table lacks is refused by number rather than dropped.

import { badRequest } from './status.js';

/** Raw wire fields of one message (as protobuf.ts reads them): varints as numbers, length-delimited as buffers. */
export type Fields = Map<number, Array<Buffer | number>>;
type Read = (buf: Buffer) => Fields;

type Scalar = 'string' | 'int' | 'bool' | 'quantity' | 'time';
/** `msg:NAME` a message of the table; `map:T` a map<string, T>; `ignore` read and dropped (status, managedFields). */
type FieldType = Scalar | `msg:${string}` | `map:${Scalar | `msg:${string}`}` | 'ignore';

interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** A Go pointer: sent only when set, so a zero or empty value is kept (other fields are always sent; zero means unset). */
  ptr?: boolean;
  /** An embedded struct whose fields JSON shows in the parent (VolumeSource in Volume, LocalObjectReference). */
  inline?: boolean;
}

const f = (name: string, type: FieldType, extra: Omit<Field, 'name' | 'type'> = {}): Field => ({ name, type, ...extra });
const ptr = { ptr: true };
const list = { repeated: true };

const MESSAGES: Record<string, Record<number, Field>> = {
  Job: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('spec', 'msg:JobSpec'), 3: f('status', 'ignore') },
  ObjectMeta: {
    1: f('name', 'string'), 2: f('generateName', 'string'), 3: f('namespace', 'string'), 4: f('selfLink', 'string'), 5: f('uid', 'string'),
    6: f('resourceVersion', 'string'), 7: f('generation', 'int'), 8: f('creationTimestamp', 'time'), 9: f('deletionTimestamp', 'time', ptr),
    10: f('deletionGracePeriodSeconds', 'int', ptr), 11: f('labels', 'map:string'), 12: f('annotations', 'map:string'),
    13: f('ownerReferences', 'msg:OwnerReference', list), 14: f('finalizers', 'string', list), 17: f('managedFields', 'ignore'),
  },
  OwnerReference: { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool', ptr), 7: f('blockOwnerDeletion', 'bool', ptr) },
  JobSpec: {
    1: f('parallelism', 'int', ptr), 2: f('completions', 'int', ptr), 3: f('activeDeadlineSeconds', 'int', ptr), 4: f('selector', 'msg:LabelSelector', ptr),
    5: f('manualSelector', 'bool', ptr), 6: f('template', 'msg:PodTemplateSpec'), 7: f('backoffLimit', 'int', ptr), 8: f('ttlSecondsAfterFinished', 'int', ptr),
    9: f('completionMode', 'string', ptr), 10: f('suspend', 'bool', ptr), 11: f('podFailurePolicy', 'msg:PodFailurePolicy', ptr),
    12: f('backoffLimitPerIndex', 'int', ptr), 13: f('maxFailedIndexes', 'int', ptr), 14: f('podReplacementPolicy', 'string', ptr),
    15: f('managedBy', 'string', ptr), 16: f('successPolicy', 'msg:SuccessPolicy', ptr),
  },
  SuccessPolicy: { 1: f('rules', 'msg:SuccessPolicyRule', list) },
  SuccessPolicyRule: { 1: f('succeededIndexes', 'string', ptr), 2: f('succeededCount', 'int', ptr) },
  LabelSelector: { 1: f('matchLabels', 'map:string'), 2: f('matchExpressions', 'msg:LabelSelectorRequirement', list) },
  LabelSelectorRequirement: { 1: f('key', 'string'), 2: f('operator', 'string'), 3: f('values', 'string', list) },
  PodFailurePolicy: { 1: f('rules', 'msg:PodFailurePolicyRule', list) },
  PodFailurePolicyRule: { 1: f('action', 'string'), 2: f('onExitCodes', 'msg:PodFailurePolicyOnExitCodesRequirement', ptr), 3: f('onPodConditions', 'msg:PodFailurePolicyOnPodConditionsPattern', list) },
  PodFailurePolicyOnExitCodesRequirement: { 1: f('containerName', 'string', ptr), 2: f('operator', 'string'), 3: f('values', 'int', list) },
  PodFailurePolicyOnPodConditionsPattern: { 1: f('type', 'string'), 2: f('status', 'string') },
  PodTemplateSpec: { 1: f('metadata', 'msg:ObjectMeta'), 2: f('spec', 'msg:PodSpec') },
  PodSpec: {
    1: f('volumes', 'msg:Volume', list), 2: f('containers', 'msg:Container', list), 3: f('restartPolicy', 'string'), 4: f('terminationGracePeriodSeconds', 'int', ptr),
    5: f('activeDeadlineSeconds', 'int', ptr), 6: f('dnsPolicy', 'string'), 7: f('nodeSelector', 'map:string'), 8: f('serviceAccountName', 'string'),
    9: f('serviceAccount', 'string'), 10: f('nodeName', 'string'), 11: f('hostNetwork', 'bool'), 12: f('hostPID', 'bool'), 13: f('hostIPC', 'bool'),
    14: f('securityContext', 'msg:PodSecurityContext', ptr), 15: f('imagePullSecrets', 'msg:LocalObjectReference', list), 16: f('hostname', 'string'),
    17: f('subdomain', 'string'), 19: f('schedulerName', 'string'), 20: f('initContainers', 'msg:Container', list),
    21: f('automountServiceAccountToken', 'bool', ptr), 24: f('priorityClassName', 'string'), 25: f('priority', 'int', ptr),
    27: f('shareProcessNamespace', 'bool', ptr), 29: f('runtimeClassName', 'string', ptr), 30: f('enableServiceLinks', 'bool', ptr),
    31: f('preemptionPolicy', 'string', ptr), 35: f('setHostnameAsFQDN', 'bool', ptr), 37: f('hostUsers', 'bool', ptr),
  },
  LocalObjectReference: { 1: f('name', 'string') },
  PodSecurityContext: {
    2: f('runAsUser', 'int', ptr), 3: f('runAsNonRoot', 'bool', ptr), 4: f('supplementalGroups', 'int', list), 5: f('fsGroup', 'int', ptr),
    6: f('runAsGroup', 'int', ptr), 9: f('fsGroupChangePolicy', 'string', ptr), 10: f('seccompProfile', 'msg:SeccompProfile', ptr),
    12: f('supplementalGroupsPolicy', 'string', ptr),
  },
  SeccompProfile: { 1: f('type', 'string'), 2: f('localhostProfile', 'string', ptr) },
  Container: {
    1: f('name', 'string'), 2: f('image', 'string'), 3: f('command', 'string', list), 4: f('args', 'string', list), 5: f('workingDir', 'string'),
    6: f('ports', 'msg:ContainerPort', list), 7: f('env', 'msg:EnvVar', list), 8: f('resources', 'msg:ResourceRequirements'),
    9: f('volumeMounts', 'msg:VolumeMount', list), 13: f('terminationMessagePath', 'string'), 14: f('imagePullPolicy', 'string'),
    15: f('securityContext', 'msg:SecurityContext', ptr), 16: f('stdin', 'bool'), 17: f('stdinOnce', 'bool'), 18: f('tty', 'bool'),
    19: f('envFrom', 'msg:EnvFromSource', list), 20: f('terminationMessagePolicy', 'string'), 24: f('restartPolicy', 'string', ptr),
  },
  ContainerPort: { 1: f('name', 'string'), 2: f('hostPort', 'int'), 3: f('containerPort', 'int'), 4: f('protocol', 'string'), 5: f('hostIP', 'string') },
  EnvVar: { 1: f('name', 'string'), 2: f('value', 'string'), 3: f('valueFrom', 'msg:EnvVarSource', ptr) },
  EnvVarSource: {
    1: f('fieldRef', 'msg:ObjectFieldSelector', ptr), 2: f('resourceFieldRef', 'msg:ResourceFieldSelector', ptr),
    3: f('configMapKeyRef', 'msg:KeySelector', ptr), 4: f('secretKeyRef', 'msg:KeySelector', ptr),
  },
  ObjectFieldSelector: { 1: f('apiVersion', 'string'), 2: f('fieldPath', 'string') },
  ResourceFieldSelector: { 1: f('containerName', 'string'), 2: f('resource', 'string'), 3: f('divisor', 'quantity') },
  // ConfigMapKeySelector and SecretKeySelector share one layout.
  KeySelector: { 1: f('', 'msg:LocalObjectReference', { inline: true }), 2: f('key', 'string'), 3: f('optional', 'bool', ptr) },
  EnvFromSource: { 1: f('prefix', 'string'), 2: f('configMapRef', 'msg:RefSource', ptr), 3: f('secretRef', 'msg:RefSource', ptr) },
  RefSource: { 1: f('', 'msg:LocalObjectReference', { inline: true }), 2: f('optional', 'bool', ptr) },
  ResourceRequirements: { 1: f('limits', 'map:quantity'), 2: f('requests', 'map:quantity'), 3: f('claims', 'msg:ResourceClaim', list) },
  ResourceClaim: { 1: f('name', 'string'), 2: f('request', 'string') },
  VolumeMount: {
    1: f('name', 'string'), 2: f('readOnly', 'bool'), 3: f('mountPath', 'string'), 4: f('subPath', 'string'), 5: f('mountPropagation', 'string', ptr),
    6: f('subPathExpr', 'string'), 7: f('recursiveReadOnly', 'string', ptr),
  },
  SecurityContext: {
    1: f('capabilities', 'msg:Capabilities', ptr), 2: f('privileged', 'bool', ptr), 4: f('runAsUser', 'int', ptr), 5: f('runAsNonRoot', 'bool', ptr),
    6: f('readOnlyRootFilesystem', 'bool', ptr), 7: f('allowPrivilegeEscalation', 'bool', ptr), 8: f('runAsGroup', 'int', ptr),
    9: f('procMount', 'string', ptr), 11: f('seccompProfile', 'msg:SeccompProfile', ptr),
  },
  Capabilities: { 1: f('add', 'string', list), 2: f('drop', 'string', list) },
  Volume: { 1: f('name', 'string'), 2: f('', 'msg:VolumeSource', { inline: true }) },
  VolumeSource: {
    1: f('hostPath', 'msg:HostPathVolumeSource', ptr), 2: f('emptyDir', 'msg:EmptyDirVolumeSource', ptr), 6: f('secret', 'msg:SecretVolumeSource', ptr),
    10: f('persistentVolumeClaim', 'msg:PersistentVolumeClaimVolumeSource', ptr), 19: f('configMap', 'msg:ConfigMapVolumeSource', ptr),
  },
  HostPathVolumeSource: { 1: f('path', 'string'), 2: f('type', 'string', ptr) },
  EmptyDirVolumeSource: { 1: f('medium', 'string'), 2: f('sizeLimit', 'quantity', ptr) },
  SecretVolumeSource: { 1: f('secretName', 'string'), 2: f('items', 'msg:KeyToPath', list), 3: f('defaultMode', 'int', ptr), 4: f('optional', 'bool', ptr) },
  ConfigMapVolumeSource: { 1: f('', 'msg:LocalObjectReference', { inline: true }), 2: f('items', 'msg:KeyToPath', list), 3: f('defaultMode', 'int', ptr), 4: f('optional', 'bool', ptr) },
  PersistentVolumeClaimVolumeSource: { 1: f('claimName', 'string'), 2: f('readOnly', 'bool') },
  KeyToPath: { 1: f('key', 'string'), 2: f('path', 'string'), 3: f('mode', 'int', ptr) },
};

/** A varint read as an unsigned number: int64 fields are two's complement. */
const signed = (n: number) => (n >= 2 ** 63 ? n - 2 ** 64 : n);

/** Packed repeated varints (proto3-style) in one length-delimited field. */
function unpack(buf: Buffer): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const byte of buf) {
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) {
      out.push(value);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

const isEmpty = (value: unknown) => value === '' || value === 0 || value === false || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

function decodeScalar(type: Scalar, raw: Buffer | number, read: Read, where: string): unknown {
  if (type === 'int') return typeof raw === 'number' ? signed(raw) : undefined;
  if (type === 'bool') return typeof raw === 'number' ? raw === 1 : undefined;
  if (!Buffer.isBuffer(raw)) throw badRequest(`protobuf ${where}: expected a length-delimited value`);
  if (type === 'string') return raw.toString('utf8');
  const inner = read(raw);
  const first = inner.get(1)?.[0];
  // resource.Quantity { string string = 1 }; metav1.Time { int64 seconds = 1, int32 nanos = 2 }.
  if (type === 'quantity') return Buffer.isBuffer(first) ? first.toString('utf8') : '';
  const seconds = typeof first === 'number' ? signed(first) : 0;
  return seconds === 0 ? '' : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeValue(type: Exclude<FieldType, 'ignore' | `map:${string}`>, raw: Buffer | number, read: Read, where: string): unknown {
  if (type.startsWith('msg:')) {
    if (!Buffer.isBuffer(raw)) throw badRequest(`protobuf ${where}: expected a message`);
    return decodeMessage(type.slice(4), read(raw), read);
  }
  return decodeScalar(type as Scalar, raw, read, where);
}

/** One message of the table as JSON: unset (zero) non-pointer fields left out, as the API's JSON omits them. */
function decodeMessage(name: string, fields: Fields, read: Read): Record<string, unknown> {
  const table = MESSAGES[name]!;
  const out: Record<string, unknown> = {};
  for (const [number, values] of fields) {
    const field = table[number];
    const where = `${name}.${field?.name || number}`;
    if (!field) throw badRequest(`protobuf field ${number} of ${name} is not simulated (a Job with it cannot be created here)`);
    if (field.type === 'ignore') continue;
    if (field.type.startsWith('map:')) {
      const valueType = field.type.slice(4) as Exclude<FieldType, 'ignore' | `map:${string}`>;
      const entries = values.filter(Buffer.isBuffer).map((entry) => read(entry as Buffer));
      const map = Object.fromEntries(entries.map((e) => {
        const key = e.get(1)?.[0];
        const value = e.get(2)?.[0];
        return [Buffer.isBuffer(key) ? key.toString('utf8') : '', value === undefined ? (valueType === 'string' ? '' : {}) : decodeValue(valueType, value, read, where)];
      }));
      if (Object.keys(map).length > 0) out[field.name] = map;
      continue;
    }
    const type = field.type as Exclude<FieldType, 'ignore' | `map:${string}`>;
    if (field.repeated) {
      const items = type === 'int' ? values.flatMap((v) => (Buffer.isBuffer(v) ? unpack(v).map(signed) : [signed(v)])) : values.map((v) => decodeValue(type, v, read, where));
      if (items.length > 0) out[field.name] = items;
      continue;
    }
    // The last occurrence wins: right for scalars; a message sent twice would be merged, which client-go never does.
    const value = decodeValue(type, values[values.length - 1]!, read, where);
    if (field.inline) Object.assign(out, value);
    else if (value !== undefined && (field.ptr || !isEmpty(value))) out[field.name] = value;
  }
  return out;
}

/** The JSON form of a batch/v1 Job's protobuf fields. */
export function jobFromProto(fields: Fields, read: Read): Record<string, unknown> {
  return decodeMessage('Job', fields, read);
}
