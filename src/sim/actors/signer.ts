// The signer controller: issues a real certificate (status.certificate) for every approved kubelet CSR.

import { decodeCsrFromApi } from '../../pki/csr.js';
import type { ClusterPki } from '../pki.js';
import { signRequest } from '../pki.js';
import type { ClusterAccess } from './access.js';
import { spawn, type Scheduler } from './schedule.js';
import type { Json } from '../json.js';

const SIGNERS = new Set([
  'kubernetes.io/kube-apiserver-client-kubelet',
  'kubernetes.io/kubelet-serving',
  'kubernetes.io/kube-apiserver-client',
]);


function needsSigning(csr: Json): boolean {
  const conditions: Json[] = csr.status?.conditions ?? [];
  return (
    SIGNERS.has(csr.spec?.signerName) &&
    conditions.some((c) => c.type === 'Approved') &&
    !conditions.some((c) => c.type === 'Denied' || c.type === 'Failed') &&
    !csr.status?.certificate
  );
}

/** Watches CSRs and signs approved ones, one at a time, off the request path. */
export function startSigner(access: ClusterAccess, pki: ClusterPki, s: Scheduler): () => void {
  const queue: string[] = [];
  const queued = new Set<string>();
  let running = false;

  const drain = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0 && !s.signal.aborted) {
        const name = queue.shift()!;
        queued.delete(name);
        const csr = access.peek('certificatesigningrequests', undefined, name) as Json | undefined;
        if (!csr || !needsSigning(csr)) continue;
        const pem = decodeCsrFromApi(csr.spec.request);
        const expiration = csr.spec.expirationSeconds ? csr.spec.expirationSeconds * 1000 : undefined;
        const cert = await signRequest(pki, pem, csr.spec.usages ?? [], s.clock.now(), expiration);
        await access.replaceStatus('certificatesigningrequests', undefined, name, (fresh: Json) => {
          if (fresh.status?.certificate || !needsSigning(fresh)) return undefined;
          return { ...fresh.status, certificate: Buffer.from(cert).toString('base64') };
        });
      }
    } finally {
      running = false;
    }
  };

  const enqueue = (csr: Json): void => {
    const name = csr.metadata.name as string;
    if (!needsSigning(csr) || queued.has(name)) return;
    queue.push(name);
    queued.add(name);
    if (!running) spawn(s, 'signer', drain);
  };

  for (const csr of access.list('certificatesigningrequests')) enqueue(csr);
  return access.subscribe('certificatesigningrequests', (event) => {
    if (event.type !== 'DELETED') enqueue(event.stored.object);
  });
}
