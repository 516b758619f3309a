// The kubeconfig shell steps get under --as/--as-group: the selected context's cluster and user, the user with kubectl's `as`/`as-groups`.

import { isAbsolute, resolve, dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { parseYamlDocuments } from '../yaml/index.js';

export interface Impersonation {
  user?: string;
  groups: string[];
}

/** A kubeconfig file as read: its path (relative references in it are relative to its folder) and text. */
export interface KubeconfigFile {
  path: string;
  text: string;
}

/** A pod's service account (no kubeconfig named): the API server and the mounted token, CA and namespace. */
export interface InClusterAccount {
  server: string;
  dir: string;
  namespace?: string;
}

type Entry = Record<string, unknown>;
type Named = { name: string; body: Entry; dir: string };

/** kubectl resolves these against the folder of the file that set them; the generated file lives elsewhere. */
const CLUSTER_PATHS = ['certificate-authority'];
const USER_PATHS = ['client-certificate', 'client-key', 'tokenFile'];

function absolutize(body: Entry, keys: string[], dir: string): Entry {
  const out: Entry = { ...body };
  for (const key of keys) if (typeof out[key] === 'string' && out[key] !== '' && !isAbsolute(out[key] as string)) out[key] = resolve(dir, out[key] as string);
  const exec = out.exec as Entry | undefined;
  // An exec plugin's command with a slash is a path relative to its file, one without is looked up on PATH.
  if (exec && typeof exec.command === 'string' && exec.command.includes('/') && !isAbsolute(exec.command)) out.exec = { ...exec, command: resolve(dir, exec.command) };
  return out;
}

/** `name`-keyed sections of every file merged as kubectl does: the first file to define a name wins. */
function section(docs: { doc: Entry; dir: string }[], list: string, field: string): Map<string, Named> {
  const found = new Map<string, Named>();
  for (const { doc, dir } of docs) {
    for (const item of (Array.isArray(doc[list]) ? doc[list] : []) as Entry[]) {
      const name = item?.name;
      if (typeof name === 'string' && !found.has(name) && item[field] && typeof item[field] === 'object') found.set(name, { name, body: item[field] as Entry, dir });
    }
  }
  return found;
}

/**
 * One self-contained kubeconfig (JSON, which kubectl and oc read) for the context kubectl would use (`context`, else
 * current-context) whose user acts as `impersonation`: kubectl sends Impersonate-User/-Group from the user's `as`/`as-groups`.
 * It copies the user's credentials, so the caller writes it 0600 in a private folder and removes it after the run.
 */
export function buildImpersonatingKubeconfig(source: { files: KubeconfigFile[] } | { inCluster: InClusterAccount }, impersonation: Impersonation & { user: string }, context?: string): string {
  const as = { as: impersonation.user, ...(impersonation.groups.length > 0 ? { 'as-groups': impersonation.groups } : {}) };
  if ('inCluster' in source) {
    const { server, dir, namespace } = source.inCluster;
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'in-cluster', cluster: { server, 'certificate-authority': `${dir}/ca.crt` } }],
      users: [{ name: 'opsbook-impersonating', user: { tokenFile: `${dir}/token`, ...as } }],
      contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'opsbook-impersonating', ...(namespace ? { namespace } : {}) } }],
      'current-context': 'in-cluster',
    });
  }
  const docs = source.files.flatMap((file) => {
    const [doc] = parseYamlDocuments(file.text, file.path);
    return doc && typeof doc === 'object' ? [{ doc: doc as Entry, dir: dirname(file.path) }] : [];
  });
  if (source.files.length === 0) throw new UsageError('--as: no kubeconfig found for the identity to act from; set KUBECONFIG or pass --kubeconfig');
  const where = source.files.map((f) => f.path).join(', ');
  const name = context ?? (docs.map(({ doc }) => doc['current-context']).find((c) => typeof c === 'string' && c !== '') as string | undefined);
  if (!name) throw new UsageError(`--as: ${where} sets no current-context; pass --context`);
  const selected = section(docs, 'contexts', 'context').get(name);
  if (!selected) throw new UsageError(`--as: context ${JSON.stringify(name)} is not in ${where}`);
  const clusterName = selected.body.cluster as string | undefined;
  const userName = selected.body.user as string | undefined;
  const cluster = clusterName === undefined ? undefined : section(docs, 'clusters', 'cluster').get(clusterName);
  if (!cluster) throw new UsageError(`--as: cluster ${JSON.stringify(clusterName ?? '')} of context ${JSON.stringify(name)} is not in ${where}`);
  const user = userName === undefined ? undefined : section(docs, 'users', 'user').get(userName);
  if (!user) throw new UsageError(`--as: user ${JSON.stringify(userName ?? '')} of context ${JSON.stringify(name)} is not in ${where}`);
  // The user's own as/as-groups give way: --as names the identity.
  const { as: _as, 'as-groups': _groups, 'as-uid': _uid, 'as-user-extra': _extra, ...credentials } = absolutize(user.body, USER_PATHS, user.dir);
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster.name, cluster: absolutize(cluster.body, CLUSTER_PATHS, cluster.dir) }],
    users: [{ name: 'opsbook-impersonating', user: { ...credentials, ...as } }],
    contexts: [{ name, context: { ...selected.body, user: 'opsbook-impersonating' } }],
    'current-context': name,
  });
}
