// The kubeconfig clients (kubectl, @kubernetes/client-node, runbook shell steps) use to reach the simulation.

import { writePrivateFile } from '../files/write-private-file.js';
import { stringifyYaml } from '../yaml/index.js';

export interface KubeconfigSpec {
  server: string;
  caPem: string;
  token: string;
  /** @default 'opsbook-sim' */
  name?: string;
}

export function renderKubeconfig(spec: KubeconfigSpec): string {
  const name = spec.name ?? 'opsbook-sim';
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: spec.server, 'certificate-authority-data': Buffer.from(spec.caPem).toString('base64') } }],
    users: [{ name: 'admin', user: { token: spec.token } }],
    contexts: [{ name, context: { cluster: name, user: 'admin' } }],
    'current-context': name,
    preferences: {},
  });
}

/** Writes the kubeconfig readable by the owner only (a leftover file's looser mode included): it carries the admin token. */
export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<string> {
  const text = renderKubeconfig(spec);
  await writePrivateFile(path, text);
  return text;
}
