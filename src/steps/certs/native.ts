// The `native` strategy: re-issue each due leaf with the node's own CA, then write certs, keys and kubeconfigs.

import { StepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';
import type { CertificateAuthority } from '../../pki/ca.js';
import type { CertRecord, Inventory } from './inventory.js';
import { replaceEmbeddedCredentials } from './kubeconfig-certs.js';
import { joinNodePath } from './layout.js';

export interface PendingWrite {
  path: string;
  content: string;
  mode?: number;
}

export interface RenewedCert {
  name: string;
  path: string;
  ca: string;
  previousExpiry: string;
  previousSerial: string;
  newExpiry: string;
}

export interface NativeRenewal {
  renewed: RenewedCert[];
  writes: PendingWrite[];
}

/** Computes every new file first (nothing is written if any re-issue fails). */
export async function prepareNativeRenewal(
  inventory: Inventory,
  selected: CertRecord[],
  options: { now: number; validityMs: number; kubernetesDir: string },
): Promise<NativeRenewal> {
  const [{ loadCa }, { detectKeyEncoding, reissueCertificate }] = await Promise.all([import('../../pki/ca.js'), import('../../pki/reissue.js')]);
  const cas = new Map<string, CertificateAuthority>();
  const loadCaFor = async (name: string) => {
    const record = inventory.cas.find((c) => c.name === name);
    if (!record?.content) throw new StepError(`CA ${name}: certificate unavailable`, { errorClass: 'permanent' });
    if (!record.keyPem) {
      throw new StepError(`CA ${name}: key ${record.path.replace(/\.crt$/, '.key')} is ${record.keyProblem ?? 'missing'}`, { errorClass: 'permanent' });
    }
    if (!cas.has(name)) {
      try {
        cas.set(name, await loadCa(record.content, record.keyPem));
      } catch (error) {
        throw new StepError(`CA ${name}: cannot load ${record.path} and its key: ${(error as Error).message}`, { errorClass: 'permanent', cause: error });
      }
    }
    return { ca: cas.get(name)!, pem: record.content };
  };

  const renewed: RenewedCert[] = [];
  const writes: PendingWrite[] = [];
  for (const record of selected) {
    const { ca, pem: caPem } = await loadCaFor(record.ca!);
    const issued = await reissueCertificate(record.info!.cert, {
      ca,
      now: new Date(options.now),
      validityMs: options.validityMs,
      keyEncoding: record.keyPem ? detectKeyEncoding(record.keyPem) : undefined,
    });
    if (record.leaf!.kind === 'kubeconfig') {
      writes.push({
        path: record.path,
        content: replaceEmbeddedCredentials(record.content!, record.path, { certificatePem: issued.certificatePem, keyPem: issued.privateKeyPem, caPem }),
      });
    } else {
      writes.push({ path: joinNodePath(options.kubernetesDir, record.leaf!.keyPath!), content: issued.privateKeyPem, mode: 0o600 });
      writes.push({ path: record.path, content: issued.certificatePem });
    }
    renewed.push({
      name: record.name,
      path: record.path,
      ca: record.ca!,
      previousExpiry: record.info!.notAfter.toISOString(),
      previousSerial: record.info!.serialNumber,
      newExpiry: issued.notAfter.toISOString(),
    });
  }
  return { renewed, writes };
}

/** Writes each file atomically (keys before their certificates). */
export async function applyWrites(node: NodeTransport, writes: PendingWrite[], signal?: AbortSignal): Promise<void> {
  for (const write of writes) await node.writeFile(write.path, write.content, { mode: write.mode, signal });
}
