// Decodes the Kubernetes protobuf envelope for the types kubectl sends that way (`kubectl certificate approve|deny`
// PUTs a CertificateSigningRequest, `kubectl create configmap|secret|job` POSTs those); answers stay JSON, which kubectl
// also accepts.

import { jobFromProto } from './protobuf-job.js';
import { badRequest } from './status.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Fields = Map<number, Array<Buffer | number>>;

/** Raw wire fields of one message: varints as numbers, length-delimited as buffers. */
function readFields(buf: Buffer): Fields {
  const fields: Fields = new Map();
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw badRequest('truncated protobuf varint');
      const byte = buf[pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let value: Buffer | number;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = varint();
      value = buf.subarray(pos, pos + length);
      pos += length;
    } else if (wire === 1) {
      value = Number(buf.readBigInt64LE(pos));
      pos += 8;
    } else if (wire === 5) {
      value = buf.readInt32LE(pos);
      pos += 4;
    } else throw badRequest(`unsupported protobuf wire type ${wire}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const str = (f: Fields, n: number): string | undefined => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
};
const strs = (f: Fields, n: number): string[] => (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => (b as Buffer).toString('utf8'));
const msgs = (f: Fields, n: number): Fields[] => (f.get(n) ?? []).filter(Buffer.isBuffer).map((b) => readFields(b as Buffer));
const num = (f: Fields, n: number): number | undefined => {
  const v = f.get(n)?.[0];
  return typeof v === 'number' ? v : undefined;
};

function time(f: Fields | undefined): string | undefined {
  if (!f) return undefined;
  const seconds = num(f, 1) ?? 0;
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stringMap(entries: Fields[]): Record<string, string> | undefined {
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map((e) => [str(e, 1) ?? '', str(e, 2) ?? '']));
}

function compact<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}

/** Go's protobuf writes empty strings and zero numbers that its JSON leaves out (omitempty): absent here too. */
const present = <T>(value: T | undefined): T | undefined => (value === '' || value === 0 ? undefined : value);

function objectMeta(f: Fields): Record<string, unknown> {
  return compact({
    name: present(str(f, 1)),
    generateName: present(str(f, 2)),
    namespace: present(str(f, 3)),
    uid: present(str(f, 5)),
    resourceVersion: present(str(f, 6)),
    generation: present(num(f, 7)),
    creationTimestamp: time(msgs(f, 8)[0]),
    labels: stringMap(msgs(f, 11)),
    annotations: stringMap(msgs(f, 12)),
    finalizers: f.has(14) ? strs(f, 14) : undefined,
  });
}

function csrFromProto(f: Fields): Record<string, unknown> {
  const meta = msgs(f, 1)[0];
  const spec = msgs(f, 2)[0];
  const status = msgs(f, 3)[0];
  const out: Record<string, unknown> = { metadata: meta ? objectMeta(meta) : {} };
  if (spec) {
    const request = spec.get(1)?.[0];
    const extra = msgs(spec, 6);
    out.spec = compact({
      request: Buffer.isBuffer(request) ? request.toString('base64') : undefined,
      signerName: str(spec, 7),
      expirationSeconds: num(spec, 8),
      usages: spec.has(5) ? strs(spec, 5) : undefined,
      username: str(spec, 2),
      uid: str(spec, 3),
      groups: spec.has(4) ? strs(spec, 4) : undefined,
      extra: extra.length ? Object.fromEntries(extra.map((e) => [str(e, 1) ?? '', strs(msgs(e, 2)[0] ?? new Map(), 1)])) : undefined,
    });
  }
  if (status) {
    const cert = status.get(2)?.[0];
    const conditions = msgs(status, 1).map((c) =>
      compact({
        type: str(c, 1),
        status: str(c, 6),
        reason: str(c, 2),
        message: str(c, 3),
        lastUpdateTime: time(msgs(c, 4)[0]),
        lastTransitionTime: time(msgs(c, 5)[0]),
      }),
    );
    out.status = compact({
      conditions: conditions.length ? conditions : undefined,
      certificate: Buffer.isBuffer(cert) && cert.length ? cert.toString('base64') : undefined,
    });
  }
  return out;
}

function bytesMap(entries: Fields[]): Record<string, string> | undefined {
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map((e) => {
    const value = e.get(2)?.[0];
    return [str(e, 1) ?? '', Buffer.isBuffer(value) ? value.toString('base64') : ''];
  }));
}

// k8s.io/api/core/v1 generated.proto: ConfigMap { metadata 1, data 2, binaryData 3, immutable 4 }.
function configMapFromProto(f: Fields): Record<string, unknown> {
  const meta = msgs(f, 1)[0];
  return compact({
    metadata: meta ? objectMeta(meta) : {},
    data: stringMap(msgs(f, 2)),
    binaryData: bytesMap(msgs(f, 3)),
    immutable: f.has(4) ? num(f, 4) === 1 : undefined,
  });
}

// Secret { metadata 1, data 2 (bytes), type 3, stringData 4, immutable 5 }.
function secretFromProto(f: Fields): Record<string, unknown> {
  const meta = msgs(f, 1)[0];
  return compact({
    metadata: meta ? objectMeta(meta) : {},
    data: bytesMap(msgs(f, 2)),
    type: str(f, 3),
    stringData: stringMap(msgs(f, 4)),
    immutable: f.has(5) ? num(f, 5) === 1 : undefined,
  });
}

// Namespace { metadata 1, spec 2 { finalizers 1 }, status 3 { phase 1 } } — `kubectl create namespace` sends it.
function namespaceFromProto(f: Fields): Record<string, unknown> {
  const meta = msgs(f, 1)[0];
  const spec = msgs(f, 2)[0];
  return compact({
    metadata: meta ? objectMeta(meta) : {},
    spec: spec?.has(1) ? { finalizers: strs(spec, 1) } : undefined,
  });
}

// SelfSubjectAccessReview { spec 2 { resourceAttributes 1 { namespace 1, verb 2, group 3, version 4, resource 5,
// subresource 6, name 7 }, nonResourceAttributes 2 { path 1, verb 2 } } } — `kubectl auth can-i` sends it.
function accessReviewFromProto(f: Fields): Record<string, unknown> {
  const spec = msgs(f, 2)[0];
  const ra = spec ? msgs(spec, 1)[0] : undefined;
  const nra = spec ? msgs(spec, 2)[0] : undefined;
  const resourceAttributes = ra
    ? compact({ namespace: str(ra, 1), verb: str(ra, 2), group: str(ra, 3), version: str(ra, 4), resource: str(ra, 5), subresource: str(ra, 6), name: str(ra, 7) })
    : undefined;
  const nonResourceAttributes = nra ? compact({ path: str(nra, 1), verb: str(nra, 2) }) : undefined;
  return { spec: compact({ resourceAttributes, nonResourceAttributes }) };
}

const DECODERS: Record<string, (f: Fields) => Record<string, unknown>> = {
  SelfSubjectAccessReview: accessReviewFromProto,
  SelfSubjectReview: () => ({}),
  CertificateSigningRequest: csrFromProto,
  ConfigMap: configMapFromProto,
  Secret: secretFromProto,
  Namespace: namespaceFromProto,
  // policy/v1 Eviction (kubectl drain): only its metadata is read, the URL's pod name checked against it.
  Eviction: (fields) => ({ metadata: objectMeta(msgs(fields, 1)[0] ?? new Map()) }),
  // `kubectl create job [--from=cronjob/NAME]`: a table-driven decoder, the Job's pod template being large.
  Job: (fields) => jobFromProto(fields, readFields),
};

/** The JSON form of a protobuf-encoded request body, for the kinds in DECODERS. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw badRequest('protobuf body lacks the k8s envelope');
  const unknown = readFields(body.subarray(4));
  const typeMeta = msgs(unknown, 1)[0];
  const apiVersion = typeMeta ? str(typeMeta, 1) : undefined;
  const kind = typeMeta ? str(typeMeta, 2) : undefined;
  const raw = unknown.get(2)?.[0];
  const decoder = kind === undefined ? undefined : DECODERS[kind];
  if (!decoder || !Buffer.isBuffer(raw)) {
    throw badRequest(`protobuf is only supported for ${Object.keys(DECODERS).join(', ')} (got ${kind ?? 'unknown'})`);
  }
  return { apiVersion, kind, ...decoder(readFields(raw)) };
}
