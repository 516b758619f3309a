// How one fleet cluster is reached for its run: its kubeconfig and context as given, or, for a Cluster API cluster,
// the kubeconfig in its `<name>-kubeconfig` Secret on the management cluster, written to a private temporary file
// (0600 in a 0700 directory, removed after the run) because the run's shell steps need a file for kubectl too.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ClusterConnection } from '../fleet/index.js';
import type { KubeClient } from '../k8s/types.js';

export interface OpenedConnection {
  kubeconfig?: string;
  context?: string;
  dispose(): void;
}

/** The Secret Cluster API writes for every workload cluster; its key `value` holds a kubeconfig. */
async function readClusterApiKubeconfig(kube: KubeClient, namespace: string, name: string, signal: AbortSignal): Promise<string> {
  const secretName = `${name}-kubeconfig`;
  const secret = await kube.get<{ metadata: { name?: string }; data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'Secret', namespace, name: secretName }, signal);
  if (!secret) throw new Error(`no Secret ${namespace}/${secretName} on the management cluster: Cluster API keeps the cluster's kubeconfig there`);
  const value = secret.data?.value;
  if (!value) throw new Error(`Secret ${namespace}/${secretName} has no key "value" (the kubeconfig)`);
  return Buffer.from(value, 'base64').toString('utf8');
}

export async function openConnection(connection: ClusterConnection, management: (kubeconfig?: string, context?: string) => Promise<KubeClient>, signal: AbortSignal): Promise<OpenedConnection> {
  if (connection.kind === 'kubeconfig') {
    return { ...(connection.kubeconfig ? { kubeconfig: connection.kubeconfig } : {}), ...(connection.context ? { context: connection.context } : {}), dispose: () => {} };
  }
  const kube = await management(connection.management.kubeconfig, connection.management.context);
  const text = await readClusterApiKubeconfig(kube, connection.namespace, connection.name, signal);
  const dir = mkdtempSync(path.join(tmpdir(), 'opsbook-capi-'));
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, text, { mode: 0o600 });
  return { kubeconfig: file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
