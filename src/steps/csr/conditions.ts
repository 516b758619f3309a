// Writes an Approved/Denied condition idempotently: a 409 re-reads the CSR and stops if someone already decided.

import { StepError } from '../../errors.js';
import { isConflict, isNotFound } from '../../k8s/index.js';
import type { CsrCondition, KubeClient, KubeObject } from '../../k8s/types.js';
import { readCsrState } from '../../csr/index.js';

export const APPROVE_REASON = 'OpsbookApprove';
export const DENY_REASON = 'OpsbookDeny';

/** The marker every opsbook approval message carries, so a retry or resume recognises its own work. */
export function runMarker(runId: string): string {
  return `opsbook run ${runId}`;
}

export type WriteOutcome = 'written' | 'already-approved' | 'already-denied' | 'gone';

const MAX_CONFLICTS = 5;

export async function writeCsrCondition(
  kube: KubeClient,
  csr: KubeObject,
  condition: CsrCondition,
  signal: AbortSignal,
): Promise<{ outcome: WriteOutcome; object?: KubeObject }> {
  let current = csr;
  for (let attempt = 1; ; attempt++) {
    const state = readCsrState(current).state;
    if (state === 'approved') return { outcome: 'already-approved', object: current };
    if (state === 'denied' || state === 'failed') return { outcome: 'already-denied', object: current };
    try {
      return { outcome: 'written', object: await kube.setCsrCondition(withoutRequest(current), condition, signal) };
    } catch (error) {
      if (isNotFound(error)) return { outcome: 'gone' };
      if (!isConflict(error)) throw error;
      if (attempt >= MAX_CONFLICTS) {
        throw new StepError(`${csr.metadata.name}: still conflicting after ${MAX_CONFLICTS} re-reads`, { errorClass: 'transient', cause: error });
      }
      const fresh = await kube.get({ apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', name: csr.metadata.name }, signal);
      if (!fresh) return { outcome: 'gone' };
      current = fresh;
    }
  }
}

/**
 * The CSR as the /approval PUT needs it: the server takes conditions and metadata from the body and spec from its own
 * copy, so the PEM (most of the body) is not sent.
 */
function withoutRequest(csr: KubeObject): KubeObject {
  const spec = csr.spec as Record<string, unknown> | undefined;
  if (!spec || !('request' in spec)) return csr;
  const { request: _sentByTheServer, ...rest } = spec;
  return { ...csr, spec: rest };
}
