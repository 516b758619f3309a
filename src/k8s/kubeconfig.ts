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
}

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
