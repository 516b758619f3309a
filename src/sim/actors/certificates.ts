// One CSR subscription shared by every kubelet: an issued certificate goes to the kubelet that posted the CSR,
// found by name, so each CSR event costs O(1) instead of one callback per kubelet (O(n²) for n machines).

import type { ClusterAccess } from './access.js';
import type { Json } from '../json.js';


export class CertificateWaiters {
  private readonly waiters = new Map<string, (certificate: string) => void>();

  constructor(private readonly access: ClusterAccess) {}

  /** Starts the shared subscription; returns its stop function. */
  start(): () => void {
    return this.access.subscribe('certificatesigningrequests', (event) => {
      if (this.waiters.size === 0 || event.type === 'DELETED') return;
      const csr = event.stored.object as Json;
      const certificate = csr.status?.certificate as string | undefined;
      if (certificate) this.deliver(csr.metadata.name as string, certificate);
    });
  }

  /** Calls `onIssued` once when CSR `name` gets its certificate (at once if it already has one); returns a cancel. */
  expect(name: string, onIssued: (certificate: string) => void): () => void {
    this.waiters.set(name, onIssued);
    const current = this.access.peek('certificatesigningrequests', undefined, name) as Json | undefined;
    if (current?.status?.certificate) this.deliver(name, current.status.certificate as string);
    return () => this.waiters.delete(name);
  }

  /** How many CSRs are being waited for (tests check that finished kubelets leave nothing behind). */
  get size(): number {
    return this.waiters.size;
  }

  private deliver(name: string, certificate: string): void {
    const waiter = this.waiters.get(name);
    if (!waiter) return;
    this.waiters.delete(name);
    waiter(certificate);
  }
}
