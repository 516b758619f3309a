// After renewal, re-read from the node: each renewed certificate must chain to its CA, match its key, carry new dates.

import { StepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';
import { readInventory } from './inventory.js';
import type { RenewedCert } from './native.js';

export interface VerifyOptions {
  kubernetesDir: string;
  kubeletPkiDir: string;
  /** Native renewals know the exact new expiry; kubeadm ones only that it moved forward. */
  exactExpiry: boolean;
  signal?: AbortSignal;
}

/** Returns the certificates as re-read (new expiry and serial), or throws listing every problem. */
export async function verifyRenewed(node: NodeTransport, renewed: RenewedCert[], options: VerifyOptions): Promise<RenewedCert[]> {
  const inventory = await readInventory(node, {
    kubernetesDir: options.kubernetesDir,
    kubeletPkiDir: options.kubeletPkiDir,
    include: { leaves: true, cas: true, kubelet: false },
    withLeafKeys: true,
    signal: options.signal,
  });
  const [{ isIssuedBy }, { keyMatchesCertificate }] = await Promise.all([import('../../pki/certificate.js'), import('../../pki/reissue.js')]);
  const problems: string[] = [];
  const verified: RenewedCert[] = [];
  for (const item of renewed) {
    const record = inventory.leaves.find((l) => l.name === item.name);
    const ca = inventory.cas.find((c) => c.name === item.ca);
    if (!record?.info) {
      problems.push(`${item.name}: cannot read it back (${record?.problem ?? 'missing'}${record?.error ? `: ${record.error}` : ''})`);
      continue;
    }
    if (!ca?.info || !(await isIssuedBy(record.info.cert, ca.info.cert))) problems.push(`${item.name}: does not chain to CA ${item.ca}`);
    if (record.info.serialNumber === item.previousSerial) problems.push(`${item.name}: still the old certificate (serial ${item.previousSerial})`);
    const notAfter = record.info.notAfter.toISOString();
    if (options.exactExpiry ? notAfter !== item.newExpiry : notAfter <= item.previousExpiry) {
      problems.push(`${item.name}: expiry ${notAfter}, expected ${options.exactExpiry ? item.newExpiry : `later than ${item.previousExpiry}`}`);
    }
    if (!record.keyPem) problems.push(`${item.name}: private key missing`);
    else if (!(await keyMatchesCertificate(record.keyPem, record.info.cert).catch(() => false))) problems.push(`${item.name}: private key does not match the certificate`);
    verified.push({ ...item, newExpiry: notAfter });
  }
  if (problems.length > 0) {
    throw new StepError(`${node.spec.name}: verification of renewed certificates failed: ${problems.join('; ')}`, {
      errorClass: 'permanent',
      details: { problems },
    });
  }
  return verified;
}
