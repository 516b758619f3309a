// Where to probe /readyz after a node's restart: a URL (trusting the node's CA), the node's kubeconfig, or the run's cluster.

import { StepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';
import { readKubeconfigEndpoint } from './kubeconfig-certs.js';
import { joinNodePath } from './layout.js';
import type { ReadyzOptions } from './readyz.js';

export interface ReadyzTargetParams {
  kubernetesDir: string;
  readyz: { url: string | undefined; kubeconfig: string | undefined };
}

/** Read after the renewal, so a kubeconfig's freshly renewed client certificate is the one presented. */
export async function resolveReadyzTarget(
  node: NodeTransport,
  params: ReadyzTargetParams,
  signal: AbortSignal,
): Promise<Pick<ReadyzOptions, 'url' | 'caPem' | 'client'>> {
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
  return {};
}
