// The registry's PersistentVolumeClaim: built from `pvc.create`, created only when missing, checked when it exists.

import { StepError } from '../../../errors.js';
import { isAlreadyExists } from '../../../k8s/index.js';
import type { KubeClient, KubeObject, ObjectRef } from '../../../k8s/types.js';
import { REGISTRY_NAMESPACE } from '../resources.js';
import type { AccessMode, PvcCreate } from './params.js';

export function pvcRef(name: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name, namespace: REGISTRY_NAMESPACE };
}

/** The claim the docs describe: one access mode and a storage request, optional storage class. */
export function buildPvc(create: PvcCreate): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: create.name, namespace: REGISTRY_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'opsbook' } },
    spec: {
      accessModes: [create.accessMode],
      resources: { requests: { storage: create.size } },
      ...(create.storageClassName ? { storageClassName: create.storageClassName } : {}),
    },
  };
}

export function readAccessModes(pvc: KubeObject): string[] {
  const modes = (pvc.spec as { accessModes?: unknown } | undefined)?.accessModes;
  return Array.isArray(modes) ? modes.map(String) : [];
}

/** A claim usable only by one node: the registry then needs Recreate and one replica. */
export function isSingleNodeClaim(pvc: KubeObject): boolean {
  const modes = readAccessModes(pvc);
  return modes.includes('ReadWriteOnce') && !modes.includes('ReadWriteMany');
}

/** An existing claim must offer the access mode asked for, or the rules checked at validation would not hold. */
export function assertCompatibleClaim(existing: KubeObject, accessMode: AccessMode): void {
  const modes = readAccessModes(existing);
  if (!modes.includes(accessMode)) {
    throw new StepError(
      `PersistentVolumeClaim ${REGISTRY_NAMESPACE}/${existing.metadata.name} already exists with access modes ` +
        `[${modes.join(', ')}], not ${accessMode}; delete it or use pvc.claim to reuse it as is`,
      { errorClass: 'permanent' },
    );
  }
}

/** Creates the claim unless it exists (idempotent across retries); returns whether it was created. */
export async function ensurePvc(kube: KubeClient, create: PvcCreate, signal: AbortSignal): Promise<boolean> {
  const existing = await kube.get(pvcRef(create.name), signal);
  if (existing) {
    assertCompatibleClaim(existing, create.accessMode);
    return false;
  }
  try {
    await kube.create(buildPvc(create), { signal });
    return true;
  } catch (error) {
    // A retry after a lost response finds the claim already there: that is success.
    if (isAlreadyExists(error)) return false;
    throw error;
  }
}
