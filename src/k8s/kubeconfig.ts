// Which kubeconfig to load, with kubectl's precedence; pure, so it is tested without touching the file system.

import { delimiter, join } from 'node:path';

export interface KubeconfigSourceOptions {
  /** Kubeconfig YAML text; wins over every file. */
  kubeconfig?: string;
  /** Explicit file (like `--kubeconfig`); wins over $KUBECONFIG. */
  kubeconfigPath?: string;
  /** Environment to read `KUBECONFIG` from (the caller's; none when omitted). */
  env?: Record<string, string | undefined>;
  /** Home directory for `~/.kube/config`. */
  homeDir?: string;
  /** The pod's service-account token file exists (with KUBERNETES_SERVICE_HOST/PORT in `env`: running in a pod). */
  serviceAccountTokenPresent?: boolean;
}

/** Where a pod's service account is mounted (token, ca.crt, namespace). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export type KubeconfigSource =
  | { kind: 'text'; text: string }
  /** `required`: a missing file is an error (explicit path); otherwise missing files are skipped, as kubectl does. */
  | { kind: 'files'; paths: string[]; required: boolean };

/** kubectl order: explicit text, explicit path, the $KUBECONFIG list (merged, first wins), ~/.kube/config. */
export function selectKubeconfigSource(options: KubeconfigSourceOptions): KubeconfigSource {
  if (options.kubeconfig !== undefined) return { kind: 'text', text: options.kubeconfig };
  if (options.kubeconfigPath) return { kind: 'files', paths: [options.kubeconfigPath], required: true };
  const list = options.env?.KUBECONFIG;
  if (list) {
    const paths = [...new Set(list.split(delimiter).filter((p) => p.length > 0))];
    if (paths.length > 0) return { kind: 'files', paths, required: false };
  }
  if (!options.homeDir) return { kind: 'files', paths: [], required: false };
  return { kind: 'files', paths: [join(options.homeDir, '.kube', 'config')], required: false };
}

/**
 * In a pod, with no kubeconfig named (text, path or $KUBECONFIG): the API server from the service environment, for the pod's service
 * account (`opsbook submit`'s Job runs so unless given a kubeconfig Secret). It wins over ~/.kube/config, which a pod does not have.
 */
export function selectInClusterServer(options: KubeconfigSourceOptions): string | undefined {
  if (options.kubeconfig !== undefined || options.kubeconfigPath || options.env?.KUBECONFIG) return undefined;
  const host = options.env?.KUBERNETES_SERVICE_HOST;
  const port = options.env?.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !options.serviceAccountTokenPresent) return undefined;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

interface Named {
  name: string;
}

/** Merges kubeconfig sections the way kubectl does: the first file to define a name wins. */
export function mergeFirstWins<T extends Named>(lists: T[][]): T[] {
  const seen = new Set<string>();
  const merged: T[] = [];
  for (const list of lists) {
    for (const item of list) {
      if (seen.has(item.name)) continue;
      seen.add(item.name);
      merged.push(item);
    }
  }
  return merged;
}
