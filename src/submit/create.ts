// Creating a submission in the cluster: every check first (namespace, Secrets, rights as server-side dry runs), then the ConfigMap and the Job.

import { UsageError } from '../errors.js';
import { isAlreadyExists, statusCodeOf } from '../k8s/index.js';
import type { KubeClient, KubeObject } from '../k8s/types.js';
import type { SubmitManifests } from './manifests.js';

/** A Secret the pod reads (the target kubeconfig, a secret input), and why, for the message when it is missing. */
export interface SecretNeed {
  name: string;
  key: string;
  purpose: string;
}

/** What the submitting identity needs in the namespace (deploy/submit-rbac.yaml grants it). */
export const SUBMIT_ACCESS = 'configmaps (get, list, create, delete), secrets (get), pods (get, list), jobs.batch and cronjobs.batch (get, create)';

/** Everything that would make the submission fail, checked before anything is created; a UsageError (exit 2) names what is missing. */
export async function checkSubmission(kube: KubeClient, manifests: SubmitManifests, secrets: SecretNeed[]): Promise<void> {
  const namespace = manifests.configMap.metadata.namespace;
  const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch((error: unknown) => {
    // A Role cannot grant reading its own Namespace: the namespaced checks below still tell.
    if (statusCodeOf(error) === 403) return 'unknown';
    throw error;
  });
  if (ns === undefined) throw new UsageError(`submit: namespace ${namespace} does not exist on ${kube.server}; create it (kubectl create namespace ${namespace}) or pass another --namespace`);
  for (const need of secrets) {
    const secret = await kube.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', name: need.name, namespace }).catch(rethrowAccess(namespace));
    if (secret === undefined) {
      throw new UsageError(`submit: Secret ${namespace}/${need.name} (${need.purpose}) does not exist; create it first: kubectl -n ${namespace} create secret generic ${need.name} --from-file=${need.key}=…`);
    }
    if (secret.data?.[need.key] === undefined) {
      throw new UsageError(`submit: Secret ${namespace}/${need.name} (${need.purpose}) has no key ${need.key} (it has: ${Object.keys(secret.data ?? {}).join(', ') || 'none'})`);
    }
  }
  // Authorised and admitted exactly like the real creates, nothing stored.
  await kube.create(manifests.configMap, { dryRun: true }).catch(rethrowAccess(namespace));
  await kube.create(manifests.workload, { dryRun: true }).catch(rethrowAccess(namespace));
}

/** Creates the ConfigMap, then the Job (or CronJob); the ConfigMap is removed again when the workload is refused. */
export async function createSubmission(kube: KubeClient, manifests: SubmitManifests): Promise<void> {
  const namespace = manifests.configMap.metadata.namespace;
  await kube.create(manifests.configMap).catch(rethrowAccess(namespace));
  try {
    await kube.create(manifests.workload);
  } catch (error) {
    await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', name: manifests.configMap.metadata.name, namespace }).catch(() => undefined);
    rethrowAccess(namespace)(error);
  }
}

/** 403 → the rights submit needs; an existing object → which one; anything else as it came. */
function rethrowAccess(namespace: string): (error: unknown) => never {
  return (error) => {
    if (statusCodeOf(error) === 403) {
      throw new UsageError(
        `submit: ${(error as Error).message}. Submitting needs, in namespace ${namespace}: ${SUBMIT_ACCESS}; bind the Role in deploy/submit-rbac.yaml to your user`,
        { cause: error },
      );
    }
    if (isAlreadyExists(error)) throw new UsageError(`submit: ${(error as Error).message} (delete it, or submit again: each submission gets a new run id)`, { cause: error });
    throw error;
  };
}
