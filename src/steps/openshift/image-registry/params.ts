// Validation and normalisation of configure-image-registry: the storage rules from the OpenShift docs, applied once.

import { parseDuration } from '../../../time/duration.js';
import type { ParamsFilled, ParamsInput } from '../../params-type.js';
import type { ParamIssue } from '../../types.js';
import type { registrySchema } from './schema.js';

type RegistrySchemaParams = ParamsFilled<typeof registrySchema>;
type PvcStorage = NonNullable<NonNullable<RegistrySchemaParams['storage']>['pvc']>;

/** What normalize receives: `with:` as the schema passed it, defaults not yet filled. */
export type RegistryInput = ParamsInput<typeof registrySchema>;

export type ManagementState = RegistrySchemaParams['managementState'];
export type RolloutStrategy = NonNullable<RegistrySchemaParams['rolloutStrategy']>;
/** The claim to create, every default filled. */
export type PvcCreate = NonNullable<PvcStorage['create']>;
export type AccessMode = PvcCreate['accessMode'];

/** normalize rewrites `storage` to what will be sent and turns `degradedGrace` into ms. */
export type RegistryParams = Omit<RegistrySchemaParams, 'storage' | 'degradedGrace'> & {
  /** spec.storage as it will be sent (undefined = leave storage alone). */
  storage?: Record<string, unknown>;
  /** The claim to create first, when asked. */
  pvcCreate?: PvcCreate;
  /** An existing claim whose access mode is checked at run time (ReadWriteOnce rules). */
  existingClaim?: string;
  /** Whether replicas/rolloutStrategy were set by the user (so a ReadWriteOnce claim found at run time may not override them). */
  userSet: { replicas: boolean; rolloutStrategy: boolean };
  degradedGraceMs: number;
  /** Human-readable notes of what the step set on the user's behalf, e.g. "rolloutStrategy: Recreate (…)". */
  defaultsApplied: string[];
};

type Raw = Record<string, unknown>;

function storageOf(params: Raw): { kind?: string; value?: Raw } {
  const storage = params.storage as Raw | undefined;
  if (!storage || typeof storage !== 'object') return {};
  const [kind] = Object.keys(storage);
  return kind ? { kind, value: (storage[kind] ?? {}) as Raw } : {};
}

/** The access mode of the claim the step will create, if it creates one. */
function createdAccessMode(params: Raw): AccessMode | undefined {
  const { kind, value } = storageOf(params);
  if (kind !== 'pvc' || !value || value.create === undefined) return undefined;
  return ((value.create as Raw).accessMode as AccessMode | undefined) ?? 'ReadWriteOnce';
}

/** Single-replica rules: ReadWriteOnce needs Recreate + 1 replica, emptyDir needs 1 replica. */
export function checkSingleReplicaRules(params: Raw, why: string, needsRecreate: boolean): ParamIssue[] {
  const issues: ParamIssue[] = [];
  if (needsRecreate && params.rolloutStrategy !== undefined && params.rolloutStrategy !== 'Recreate') {
    issues.push({
      path: 'rolloutStrategy',
      message: `${why} requires rolloutStrategy: Recreate (got ${String(params.rolloutStrategy)}): a rolling update starts a second pod that cannot mount the volume`,
    });
  }
  if (params.replicas !== undefined && params.replicas !== 1) {
    issues.push({ path: 'replicas', message: `${why} requires replicas: 1 (got ${String(params.replicas)})` });
  }
  return issues;
}

/** The rules the docs state, checked before anything runs. */
export function checkRegistryParams(params: Raw): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const { kind, value } = storageOf(params);
  if (kind === 'emptyDir') {
    if (params.nonProduction !== true) {
      issues.push({
        path: 'storage.emptyDir',
        message: 'emptyDir storage loses every pushed image when the registry pod restarts; it is for non-production clusters only — set nonProduction: true to confirm',
      });
    }
    issues.push(...checkSingleReplicaRules(params, 'emptyDir storage', false));
  }
  if (createdAccessMode(params) === 'ReadWriteOnce') {
    issues.push(...checkSingleReplicaRules(params, 'ReadWriteOnce (block) storage', true));
  }
  if (kind === 'pvc' && value) {
    const create = value.create as Raw | undefined;
    const claim = value.claim as string | undefined;
    const createName = (create?.name as string | undefined) ?? 'image-registry-storage';
    if (create && claim && claim !== createName) {
      issues.push({ path: 'storage.pvc.claim', message: `names ${claim} but pvc.create makes ${createName}; leave claim out or use the same name` });
    }
  }
  if (typeof params.degradedGrace === 'string' && parseDuration(params.degradedGrace) === undefined) {
    issues.push({ path: 'degradedGrace', message: `expected a duration such as '2m', got ${JSON.stringify(params.degradedGrace)}` });
  }
  return issues;
}

/** Applies the single-replica rule to unset fields, noting each value it chose. */
export function applySingleReplicaDefaults(p: RegistryParams, why: string, needsRecreate: boolean): void {
  if (needsRecreate && p.rolloutStrategy === undefined) {
    p.rolloutStrategy = 'Recreate';
    p.defaultsApplied.push(`rolloutStrategy: Recreate (required by ${why})`);
  }
  if (p.replicas === undefined) {
    p.replicas = 1;
    p.defaultsApplied.push(`replicas: 1 (required by ${why}; no high availability)`);
  }
}

/** Fills every default once; the storage object is rewritten to what will be sent. */
export function normalizeRegistryParams(params: RegistryInput): RegistryParams {
  const p: RegistryParams = {
    managementState: params.managementState ?? 'Managed',
    replicas: params.replicas,
    rolloutStrategy: params.rolloutStrategy,
    userSet: { replicas: params.replicas !== undefined, rolloutStrategy: params.rolloutStrategy !== undefined },
    wait: params.wait ?? true,
    nonProduction: params.nonProduction ?? false,
    degradedGraceMs: parseDuration(params.degradedGrace ?? '2m') ?? 120_000,
    defaultsApplied: [],
  };
  const { kind, value } = storageOf(params);
  if (kind === 'emptyDir') {
    p.storage = { emptyDir: {} };
    applySingleReplicaDefaults(p, 'emptyDir storage', false);
  } else if (kind === 'pvc') {
    const { create, claim: named } = params.storage?.pvc ?? {};
    const claim = named || undefined;
    if (create) {
      p.pvcCreate = {
        name: create.name ?? 'image-registry-storage',
        size: create.size ?? '100Gi',
        accessMode: create.accessMode ?? 'ReadWriteOnce',
        ...(create.storageClassName ? { storageClassName: create.storageClassName } : {}),
      };
      p.storage = { pvc: { claim: p.pvcCreate.name } };
      if (p.pvcCreate.accessMode === 'ReadWriteOnce') applySingleReplicaDefaults(p, 'ReadWriteOnce (block) storage', true);
    } else {
      p.storage = { pvc: claim ? { claim } : {} };
      p.existingClaim = claim;
    }
  } else if (kind) {
    p.storage = { [kind]: value };
  }
  return p;
}
