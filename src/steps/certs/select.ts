// Which leaves a renewal touches: due ones (or all with force), never those of an external CA or unreadable ones.

import { formatDurationExact } from '../../time/duration.js';
import type { CertRecord, Inventory } from './inventory.js';

export interface Skipped {
  name: string;
  reason: string;
}

export interface Selection {
  renew: CertRecord[];
  skipped: Skipped[];
}

export interface SelectOptions {
  now: number;
  force: boolean;
  /** undefined = everything (what `kubeadm certs renew all` does). */
  renewWithinMs: number | undefined;
}

export function selectForRenewal(inventory: Inventory, options: SelectOptions): Selection {
  const renew: CertRecord[] = [];
  const skipped: Skipped[] = [];
  for (const leaf of inventory.leaves) {
    const ca = inventory.cas.find((c) => c.name === leaf.ca);
    if (!leaf.info) skipped.push({ name: leaf.name, reason: `${leaf.problem ?? 'missing'}: ${leaf.error ?? leaf.path}` });
    else if (!ca?.info) skipped.push({ name: leaf.name, reason: `CA ${leaf.ca} certificate ${ca?.problem ?? 'missing'} (${ca?.path ?? ''})` });
    else if (leaf.externallyManaged) skipped.push({ name: leaf.name, reason: `external CA: ${leaf.ca} key is not on the node, renew it with your external CA` });
    else if (!options.force && options.renewWithinMs !== undefined && leaf.info.notAfter.getTime() - options.now > options.renewWithinMs) {
      skipped.push({ name: leaf.name, reason: `not due: expires ${leaf.info.notAfter.toISOString()}, beyond renewWithin ${formatDurationExact(options.renewWithinMs)}` });
    } else renew.push(leaf);
  }
  return { renew, skipped };
}
