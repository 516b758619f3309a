// The lazily-built Kubernetes client: @kubernetes/client-node is imported only when a step first asks for the cluster.

import type { KubeClient } from '../k8s/types.js';
import type { Clock } from '../time/clock.js';

export interface KubeFactoryOptions {
  /** --kubeconfig; else $KUBECONFIG (colon list), else ~/.kube/config — resolved by src/k8s. */
  kubeconfigPath?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  /** --as/--as-group. */
  impersonate?: { user?: string; groups: string[] };
}

/** Returns a memoised `kube()` for the engine; a failed connection is retried on the next call. */
export function createKubeFactory(options: KubeFactoryOptions): () => Promise<KubeClient> {
  let client: Promise<KubeClient> | undefined;
  return () => {
    client ??= import('../k8s/client.js')
      .then(({ createKubeClient }) =>
        createKubeClient({
          kubeconfigPath: options.kubeconfigPath,
          context: options.context,
          env: options.env,
          clock: options.clock,
          ...(options.impersonate ? { impersonate: options.impersonate } : {}),
        }),
      )
      .catch((error: unknown) => {
        client = undefined;
        throw error;
      });
    return client;
  };
}

/** Environment for child processes: ours, with KUBECONFIG pointing where --kubeconfig said (kubectl/oc in scripts). */
export function createChildEnv(env: NodeJS.ProcessEnv, kubeconfigPath?: string): Record<string, string | undefined> {
  return kubeconfigPath ? { ...env, KUBECONFIG: kubeconfigPath } : { ...env };
}
