// Posts CSRs into the simulated cluster under a chosen identity (as kubectl --as would), for rogue cases.

import { encodeCsrForApi, generateCsr } from '../../../src/pki/csr.js';
import type { KeyType } from '../../../src/pki/keys.js';
import type { Simulation } from '../../../src/sim/index.js';
import { CLIENT_SIGNER, SERVING_SIGNER } from '../../../src/csr/index.js';

export const BOOTSTRAPPER = {
  username: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:openshift-machine-config-operator', 'system:authenticated'],
};
export const INTRUDER = { username: 'system:serviceaccount:default:intruder', groups: ['system:serviceaccounts', 'system:authenticated'] };
export const asNode = (name: string) => ({ username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });

export interface Injected {
  as: { username: string; groups: string[] };
  signerName?: string;
  usages?: string[];
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ipAddresses?: string[];
  keyType?: KeyType;
  /** Backdates creationTimestamp (clock ms), as for a CSR posted earlier whose event arrives late. */
  createdAt?: number;
}

/** Creates the CSR through the simulation's own admission (spec.username/groups come from `as`). Returns its name. */
export async function injectCsr(sim: Simulation, csr: Injected): Promise<string> {
  const { pem } = await generateCsr({
    keyType: csr.keyType,
    commonName: csr.commonName,
    organizations: csr.organizations ?? ['system:nodes'],
    dnsNames: csr.dnsNames,
    ipAddresses: csr.ipAddresses,
  });
  const created = await sim.access.as(csr.as).create('certificatesigningrequests', {
    metadata: { generateName: 'rogue-' },
    spec: { request: encodeCsrForApi(pem), signerName: csr.signerName ?? CLIENT_SIGNER, usages: csr.usages ?? ['digital signature', 'client auth'] },
  } as never, csr.createdAt);
  return (created as { metadata: { name: string } }).metadata.name;
}

export function servingRequest(node: string, as: Injected['as'], extra: Partial<Injected> = {}): Injected {
  return { as, signerName: SERVING_SIGNER, usages: ['digital signature', 'server auth'], commonName: `system:node:${node}`, ...extra };
}

type Condition = { type: string; reason?: string; message?: string };

/** The CSR's conditions as stored. */
export function conditionsOf(sim: Simulation, name: string): Condition[] {
  const csr = sim.access.get('certificatesigningrequests', undefined, name) as { status?: { conditions?: Condition[] } } | undefined;
  return csr?.status?.conditions ?? [];
}

export function stateOf(sim: Simulation, name: string): 'approved' | 'denied' | 'pending' {
  const types = conditionsOf(sim, name).map((c) => c.type);
  return types.includes('Approved') ? 'approved' : types.includes('Denied') ? 'denied' : 'pending';
}

/** Every CSR in the cluster with the number of Approved conditions it carries (must never exceed 1). */
export function approvalCounts(sim: Simulation): Map<string, number> {
  const counts = new Map<string, number>();
  for (const csr of sim.access.list('certificatesigningrequests') as unknown as { metadata: { name: string } }[]) {
    counts.set(csr.metadata.name, conditionsOf(sim, csr.metadata.name).filter((c) => c.type === 'Approved').length);
  }
  return counts;
}

export function approvalRequests(sim: Simulation): number {
  return Object.entries(sim.counters())
    .filter(([key]) => key.includes('approval'))
    .reduce((sum, [, n]) => sum + n, 0);
}
