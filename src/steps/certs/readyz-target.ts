// Where to probe /readyz after a node's restart: the node's own API server by default (trusting its CA), a URL, the
// server of a kubeconfig on the node, or (explicitly) the run's cluster connection.

import { StepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';
import { readKubeconfigEndpoint } from './kubeconfig-certs.js';
import { joinNodePath } from './layout.js';
import type { ReadyzOptions } from './readyz.js';
import type { RenewCertsParams } from './renew-certs.js';

/** What the probe needs of renew-certs' parameters; `via` and `port` may be left out (defaults `node`, 6443). */
export type ReadyzTargetParams = Pick<RenewCertsParams, 'kubernetesDir'> & {
  readyz: Pick<RenewCertsParams['readyz'], 'url' | 'kubeconfig'> & Partial<Pick<RenewCertsParams['readyz'], 'via' | 'port'>>;
};

/** The address the node's API server answers on: the ssh host, or loopback for this machine. */
export function nodeReadyzUrl(node: NodeTransport, port: number): string {
  const host = node.spec.transport === 'ssh' && node.spec.host ? node.spec.host : '127.0.0.1';
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}/readyz`;
}

/** Read after the renewal, so a kubeconfig's freshly renewed client certificate is the one presented. */
export async function resolveReadyzTarget(
  node: NodeTransport,
  params: ReadyzTargetParams,
  signal: AbortSignal,
): Promise<Pick<ReadyzOptions, 'url' | 'caPem' | 'client' | 'verifyHostname'>> {
  if (params.readyz.kubeconfig) {
    const path = params.readyz.kubeconfig.startsWith('/') ? params.readyz.kubeconfig : joinNodePath(params.kubernetesDir, params.readyz.kubeconfig);
    let endpoint;
    try {
      endpoint = readKubeconfigEndpoint((await node.readFile(path, signal)).toString('utf8'), `${node.spec.name}:${path}`);
    } catch (error) {
      throw error instanceof StepError ? error : new StepError((error as Error).message, { errorClass: 'permanent', cause: error });
    }
    const client = endpoint.certificatePem && endpoint.keyPem ? { certificatePem: endpoint.certificatePem, keyPem: endpoint.keyPem } : undefined;
    return { url: `${endpoint.server.replace(/\/+$/, '')}/readyz`, caPem: endpoint.caPem, ...(client ? { client } : {}) };
  }
  if (params.readyz.url) {
    const caPem = (await node.readFile(joinNodePath(params.kubernetesDir, 'pki/ca.crt'), signal)).toString('utf8');
    return { url: params.readyz.url, caPem };
  }
  if (params.readyz.via === 'cluster') return {};
  // The node just restarted, not whatever cluster the run is connected to; an ssh alias is rarely among the serving
  // certificate's names, so the chain to this node's CA is what is checked.
  const caPem = (await node.readFile(joinNodePath(params.kubernetesDir, 'pki/ca.crt'), signal)).toString('utf8');
  return { url: nodeReadyzUrl(node, params.readyz.port ?? 6443), caPem, verifyHostname: false };
}
