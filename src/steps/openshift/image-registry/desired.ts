// The merge patch that takes the live registry config to the desired one — only the four spec fields, only what differs.

import type { KubeObject } from '../../../k8s/types.js';
import { diffValues, isSubset, type FieldChange } from '../diff.js';
import type { RegistryParams } from './params.js';

/** The storage backends of the registry config: exactly one may be set, so the others are cleared with null. */
const STORAGE_BACKENDS = ['emptyDir', 'pvc', 's3', 'gcs', 'swift', 'azure', 'oss', 'ibmcos'];

/** The four fields this step owns. */
const OWNED_FIELDS = ['managementState', 'storage', 'replicas', 'rolloutStrategy'] as const;

type Raw = Record<string, unknown>;

function buildStoragePatch(live: unknown, desired: Raw): Raw | undefined {
  const current = (live && typeof live === 'object' ? live : {}) as Raw;
  const [kind, value] = Object.entries(desired)[0]!;
  const patch: Raw = {};
  for (const other of STORAGE_BACKENDS) {
    if (other !== kind && current[other] !== undefined && current[other] !== null) patch[other] = null;
  }
  if (!isSubset(value, current[kind])) patch[kind] = value;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** `{spec: {...}}` with only the fields that differ, or undefined when the config is already as desired. */
export function buildRegistryPatch(live: KubeObject, p: RegistryParams): { spec: Raw } | undefined {
  const spec = (live.spec ?? {}) as Raw;
  const out: Raw = {};
  if (spec.managementState !== p.managementState) out.managementState = p.managementState;
  if (p.storage) {
    const storage = buildStoragePatch(spec.storage, p.storage);
    if (storage) out.storage = storage;
  }
  if (p.replicas !== undefined && spec.replicas !== p.replicas) out.replicas = p.replicas;
  if (p.rolloutStrategy !== undefined && spec.rolloutStrategy !== p.rolloutStrategy) out.rolloutStrategy = p.rolloutStrategy;
  return Object.keys(out).length > 0 ? { spec: out } : undefined;
}

/** The owned spec fields only, so a diff does not show fields the operator manages. */
function pickOwned(object: KubeObject): Raw {
  const spec = (object.spec ?? {}) as Raw;
  return Object.fromEntries(OWNED_FIELDS.filter((f) => spec[f] !== undefined).map((f) => [f, spec[f]]));
}

/** Field changes between two versions of the config, restricted to the fields this step owns. */
export function diffRegistrySpec(before: KubeObject, after: KubeObject): FieldChange[] {
  return diffValues(pickOwned(before), pickOwned(after), 'spec');
}
