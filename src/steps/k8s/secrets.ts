// Secret values read from the cluster must never reach outputs, logs or the journal: mask them at the step boundary.

import type { KubeObject } from '../../k8s/types.js';

export const MASK = '***';
const SECRET_FIELDS = ['data', 'stringData'] as const;

function isSecret(object: KubeObject | undefined): boolean {
  return object?.kind === 'Secret' && (object.apiVersion ?? 'v1') === 'v1';
}

/** The object with every Secret value replaced by `***` (keys kept, so "which keys exist" stays visible). */
export function maskSecret<T extends KubeObject | undefined>(object: T): T {
  if (!object || !isSecret(object)) return object;
  const masked: KubeObject = { ...object };
  for (const field of SECRET_FIELDS) {
    const values = object[field];
    if (values && typeof values === 'object') {
      masked[field] = Object.fromEntries(Object.keys(values).map((key) => [key, MASK]));
    }
  }
  return masked as T;
}

/** True for diff paths that hold a Secret value (`data.token`), whose old and new values must not be shown. */
export function isSecretPath(object: KubeObject | undefined, path: string): boolean {
  return isSecret(object) && SECRET_FIELDS.some((f) => path === f || path.startsWith(`${f}.`));
}
