// What the CSR steps keep of each cached object: only what their decisions and writes read. With 5,000 machines the
// informer caches hold 10,000 CSRs and 5,000 Nodes, so managed fields, issued certificates and node inventories
// (capacity, images, heartbeats) would be most of the process's memory.

import type { KubeObject } from '../../k8s/types.js';
import { attachParsedRequest, findParsedRequest } from '../../csr/index.js';

type Meta = KubeObject['metadata'];

// JSON.parse gives every object its own copy of each string; 10,000 CSRs repeat the same signer, requestor, groups,
// usages and condition texts. One shared copy per distinct value (bounded: a flood of unique values only resets it).
const interned = new Map<string, string>();
const MAX_INTERNED = 10_000;

function intern<S extends string | undefined>(value: S): S {
  if (typeof value !== 'string' || value.length > 256) return value;
  const known = interned.get(value);
  if (known !== undefined) return known as S;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(value, value);
  return value;
}

function internAll(values: unknown): unknown {
  return Array.isArray(values) ? values.map((v) => (typeof v === 'string' ? intern(v) : v)) : values;
}

/** A copy of a flat record (a condition, an address) with its string fields shared, but for `unique` ones. */
function internFields(value: unknown, unique?: string): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = typeof field === 'string' && key !== unique ? intern(field) : field;
  return out;
}

/** Node addresses: the type repeats, the address is the node's own (interning it would only churn the table). */
const internAddress = (address: unknown) => internFields(address, 'address');

/** Identity and versioning; what a write or a relist compares. managedFields are never sent back (a PUT without them keeps the server's). */
function projectMetadata(meta: Meta, keepUserFields: boolean): Meta {
  const out: Meta = { name: meta.name, uid: meta.uid, resourceVersion: meta.resourceVersion, creationTimestamp: intern(meta.creationTimestamp) };
  if (meta.namespace !== undefined) out.namespace = meta.namespace;
  if (keepUserFields) {
    // The /approval PUT carries metadata back: labels and annotations must be sent as they are, or the server drops them.
    for (const key of ['generateName', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'deletionTimestamp'] as const) {
      if (meta[key] !== undefined) (out as Record<string, unknown>)[key] = intern(meta[key] as never);
    }
  }
  return out;
}

/**
 * A CSR as the policy reads it (src/csr/record.ts: spec, conditions, creation time) and as the /approval PUT sends it
 * back (metadata, spec, every condition whole). Dropped: managedFields and status.certificate, which the server keeps
 * from its own copy on /approval whatever the body says; and spec.request once it has been parsed (an earlier version
 * of the same CSR was read): the projection then carries the parse, and /approval takes spec from the server's copy.
 */
export function projectCsr(object: KubeObject): KubeObject {
  const status = object.status as { conditions?: unknown[] } | undefined;
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const parsed = findParsedRequest(object);
  // Built without the key rather than deleted from a copy: a delete turns the object into a slower, larger dictionary.
  const { request, ...rest } = spec;
  const sharedSpec: Record<string, unknown> = parsed || request === undefined ? rest : { request, ...rest };
  for (const key of ['signerName', 'username'] as const) if (typeof spec[key] === 'string') sharedSpec[key] = intern(spec[key]);
  for (const key of ['groups', 'usages'] as const) if (spec[key] !== undefined) sharedSpec[key] = internAll(spec[key]);
  const projected: KubeObject = {
    apiVersion: intern(object.apiVersion),
    kind: intern(object.kind),
    metadata: projectMetadata(object.metadata, true),
    spec: object.spec === undefined ? undefined : sharedSpec,
    status: Array.isArray(status?.conditions) ? { conditions: status.conditions.map((c) => internFields(c)) } : {},
  };
  return parsed ? attachParsedRequest(projected, parsed) : projected;
}

interface NodeStatus {
  addresses?: unknown[];
  conditions?: { type?: string; status?: string }[];
}

/** A Node as the steps read it: name and creation (existing-node check), addresses (identity), the Ready condition. */
export function projectNode(object: KubeObject): KubeObject {
  const status = (object.status ?? {}) as NodeStatus;
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  return {
    apiVersion: intern(object.apiVersion),
    kind: intern(object.kind),
    metadata: projectMetadata(object.metadata, false),
    status: { addresses: (status.addresses ?? []).map(internAddress), conditions: ready ? [{ type: 'Ready', status: intern(ready.status) }] : [] },
  };
}

interface MachineStatus {
  addresses?: unknown[];
  nodeRef?: { name?: string };
}

/** A Machine as identity checks read it: its addresses and the Node it became. */
export function projectMachine(object: KubeObject): KubeObject {
  const status = (object.status ?? {}) as MachineStatus;
  const projected: { addresses: unknown[]; nodeRef?: { name?: string } } = { addresses: status.addresses ?? [] };
  if (status.nodeRef) projected.nodeRef = { name: status.nodeRef.name };
  return { apiVersion: intern(object.apiVersion), kind: intern(object.kind), metadata: projectMetadata(object.metadata, false), status: projected };
}
