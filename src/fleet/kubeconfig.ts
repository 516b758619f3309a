// The contexts a kubeconfig offers, read without the Kubernetes client: fleet files are checked (unknown context,
// unreadable file) and `--contexts` globs expanded before any cluster is touched.

import { selectKubeconfigSource } from '../k8s/kubeconfig.js';
import { describeReadError, tryReadUserText } from '../files/read-user-file.js';
import { parseYamlDocuments } from '../yaml/index.js';

export interface KubeconfigContexts {
  /** The files read, for messages. */
  label: string;
  /** Context names, merged kubectl's way (the first file to name one wins). */
  contexts: string[];
  current?: string;
}

export interface KubeconfigLookup {
  /** An explicit file (a fleet entry's, or --kubeconfig); else $KUBECONFIG, else ~/.kube/config. */
  kubeconfigPath?: string;
  env: Record<string, string | undefined>;
  homeDir: string;
}

export type KubeconfigRead = { ok: true; value: KubeconfigContexts } | { ok: false; problem: string };

function contextsOfText(text: string, path: string): { contexts: string[]; current?: string } {
  const [doc] = parseYamlDocuments(text, path);
  if (doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) throw new Error('not a kubeconfig (expected a map)');
  const config = (doc ?? {}) as { contexts?: unknown; 'current-context'?: unknown };
  const list = Array.isArray(config.contexts) ? config.contexts : [];
  const contexts = list.map((c) => (c as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string' && n.length > 0);
  const current = typeof config['current-context'] === 'string' && config['current-context'] ? config['current-context'] : undefined;
  return { contexts, ...(current ? { current } : {}) };
}

/** Reads the kubeconfig kubectl would (same precedence); a problem is described, never thrown. */
export async function readKubeconfigContexts(lookup: KubeconfigLookup): Promise<KubeconfigRead> {
  const source = selectKubeconfigSource({ kubeconfigPath: lookup.kubeconfigPath, env: lookup.env, homeDir: lookup.homeDir });
  if (source.kind === 'text') return { ok: true, value: { label: '<kubeconfig text>', ...contextsOfText(source.text, '<kubeconfig text>') } };
  const contexts: string[] = [];
  let current: string | undefined;
  const read: string[] = [];
  for (const path of source.paths) {
    const text = await tryReadUserText(path);
    if ('problem' in text) {
      if (!source.required && (text.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') continue;
      return { ok: false, problem: `cannot read kubeconfig ${path}: ${text.problem}` };
    }
    try {
      const found = contextsOfText(text.text, path);
      for (const name of found.contexts) if (!contexts.includes(name)) contexts.push(name);
      current ??= found.current;
      read.push(path);
    } catch (error) {
      return { ok: false, problem: `invalid kubeconfig ${path}: ${describeReadError(error)}` };
    }
  }
  if (read.length === 0) return { ok: false, problem: `no kubeconfig found (looked at ${source.paths.join(', ') || 'nowhere'})` };
  return { ok: true, value: { label: read.join(':'), contexts, ...(current ? { current } : {}) } };
}
