// The client certificate embedded in a kubeconfig (kubeadm's admin.conf & co.): read it, and swap it for a new one.

import { parseYamlDocuments, stringifyYaml } from '../../yaml/index.js';

export interface EmbeddedCredentials {
  user: string;
  certificatePem: string;
  keyPem: string | undefined;
}

interface KubeconfigShape {
  'current-context'?: string;
  contexts?: { name?: string; context?: { user?: string; cluster?: string } }[];
  users?: { name?: string; user?: Record<string, unknown> }[];
  clusters?: { name?: string; cluster?: Record<string, unknown> }[];
}

function parseKubeconfig(text: string, source: string): KubeconfigShape {
  const [doc] = parseYamlDocuments(text, source);
  if (!doc || typeof doc !== 'object') throw new Error(`${source}: not a kubeconfig (empty or not a mapping)`);
  return doc as KubeconfigShape;
}

/** The user of the current context (or the only user) with its embedded client certificate. */
export function readEmbeddedCredentials(text: string, source: string): EmbeddedCredentials {
  const config = parseKubeconfig(text, source);
  const user = pickUser(config, source);
  const data = user.user?.['client-certificate-data'];
  if (typeof data !== 'string') {
    const file = user.user?.['client-certificate'];
    throw new Error(`${source}: user "${user.name}" has no client-certificate-data${typeof file === 'string' ? ` (certificate in file ${file})` : ''}`);
  }
  const key = user.user?.['client-key-data'];
  return {
    user: String(user.name),
    certificatePem: Buffer.from(data, 'base64').toString('utf8'),
    keyPem: typeof key === 'string' ? Buffer.from(key, 'base64').toString('utf8') : undefined,
  };
}

function pickUser(config: KubeconfigShape, source: string) {
  const users = config.users ?? [];
  const contextUser = config.contexts?.find((c) => c.name === config['current-context'])?.context?.user;
  const user = users.find((u) => u.name === contextUser) ?? (users.length === 1 ? users[0] : undefined);
  if (!user) throw new Error(`${source}: cannot tell which user's certificate to use (no current-context user among ${users.length} users)`);
  return user;
}

/**
 * New kubeconfig text with the user's client certificate/key replaced and every cluster's CA data refreshed.
 * Values are swapped in the text so comments and layout survive; a re-serialisation is the fallback.
 */
export function replaceEmbeddedCredentials(
  text: string,
  source: string,
  replacement: { certificatePem: string; keyPem: string; caPem: string },
): string {
  const config = parseKubeconfig(text, source);
  const user = pickUser(config, source);
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  const swaps: [unknown, string][] = [
    [user.user?.['client-certificate-data'], b64(replacement.certificatePem)],
    [user.user?.['client-key-data'], b64(replacement.keyPem)],
    ...(config.clusters ?? []).map((c) => [c.cluster?.['certificate-authority-data'], b64(replacement.caPem)] as [unknown, string]),
  ];
  let out = text;
  let verbatim = true;
  for (const [oldValue, newValue] of swaps) {
    if (typeof oldValue !== 'string' || oldValue === '') continue;
    if (!out.includes(oldValue)) verbatim = false;
    else out = out.split(oldValue).join(newValue);
  }
  if (verbatim) return out;
  user.user = { ...user.user, 'client-certificate-data': b64(replacement.certificatePem), 'client-key-data': b64(replacement.keyPem) };
  for (const c of config.clusters ?? []) if (c.cluster) c.cluster['certificate-authority-data'] = b64(replacement.caPem);
  return stringifyYaml(config);
}

export interface KubeconfigEndpoint {
  server: string;
  caPem?: string;
  certificatePem?: string;
  keyPem?: string;
}

/** The current context's API server, CA and client credentials (for probing /readyz the way kubectl would). */
export function readKubeconfigEndpoint(text: string, source: string): KubeconfigEndpoint {
  const config = parseKubeconfig(text, source);
  const context = config.contexts?.find((c) => c.name === config['current-context'])?.context;
  const clusters = config.clusters ?? [];
  const cluster = clusters.find((c) => c.name === context?.cluster) ?? (clusters.length === 1 ? clusters[0] : undefined);
  const server = cluster?.cluster?.server;
  if (typeof server !== 'string') throw new Error(`${source}: no cluster server for the current context`);
  const decode = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);
  const users = config.users ?? [];
  const user = users.find((u) => u.name === context?.user) ?? (users.length === 1 ? users[0] : undefined);
  return {
    server,
    caPem: decode(cluster?.cluster?.['certificate-authority-data']),
    certificatePem: decode(user?.user?.['client-certificate-data']),
    keyPem: decode(user?.user?.['client-key-data']),
  };
}
