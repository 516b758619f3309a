// Where a node's identity (its IPs and DNS names) comes from: the inventory plus its Node object, or its Machine.

import { inventoryIdentity } from './inventory.js';
import { normalizeHostname, normalizeIp } from './checks.js';
import type { NodeSelector } from './types.js';

export type IdentitySource = 'inventory' | 'machines';

export interface NodeAddress {
  type?: string;
  address?: string;
}

/** What the cluster tells us: Node and Machine objects reduced to their addresses. */
export interface ClusterIdentityData {
  /** Node name → status.addresses (present = the Node exists). */
  nodes: ReadonlyMap<string, NodeAddress[]>;
  /** Machines: name, status.nodeRef.name and status.addresses. */
  machines: readonly { name: string; nodeRef?: string; addresses: NodeAddress[] }[];
}

export interface ResolvedIdentity {
  /** false when the cluster data the identity depends on has not been seen (yet). */
  known: boolean;
  /** When not known: what is missing, e.g. "its Node to register" (reads after "waits for"). */
  waitingFor?: string;
  ips: Set<string>;
  hostnames: Set<string>;
  /** For messages: where the identity came from. */
  source: string;
}

const IP_TYPES = new Set(['InternalIP', 'ExternalIP']);
const DNS_TYPES = new Set(['Hostname', 'InternalDNS', 'ExternalDNS']);

/** Adds the IP and DNS addresses; returns how many it found (0: the object has not reported its addresses yet). */
function addAddresses(target: ResolvedIdentity, addresses: NodeAddress[]): number {
  let found = 0;
  for (const { type, address } of addresses) {
    if (!address) continue;
    if (IP_TYPES.has(type ?? '')) target.ips.add(normalizeIp(address));
    else if (DNS_TYPES.has(type ?? '')) target.hostnames.add(normalizeHostname(address));
    else continue;
    found += 1;
  }
  return found;
}

/** The Machine backing a node: by status.nodeRef, else by a Hostname/InternalDNS address equal to the node name. */
export function findMachineForNode(data: ClusterIdentityData, nodeName: string): ClusterIdentityData['machines'][number] | undefined {
  return (
    data.machines.find((m) => m.nodeRef === nodeName) ??
    data.machines.find((m) => m.addresses.some((a) => DNS_TYPES.has(a.type ?? '') && normalizeHostname(a.address ?? '') === nodeName))
  );
}

export function resolveNodeIdentity(
  selector: NodeSelector,
  source: IdentitySource,
  data: ClusterIdentityData,
  nodeName: string,
): ResolvedIdentity {
  const identity: ResolvedIdentity = { known: false, ips: new Set(), hostnames: new Set(), source: '' };
  if (source === 'machines') {
    const machine = findMachineForNode(data, nodeName);
    if (machine) {
      // A Machine without addresses has not been provisioned far enough to say who the node is.
      identity.known = addAddresses(identity, machine.addresses) > 0;
      identity.source = identity.known ? `Machine ${machine.name}` : `Machine ${machine.name}, no addresses yet`;
      if (!identity.known) identity.waitingFor = 'its Machine to report addresses';
    } else {
      identity.source = 'no Machine for this node';
      identity.waitingFor = 'its Machine';
    }
    return identity;
  }
  const declared = inventoryIdentity(selector, nodeName);
  for (const ip of declared?.addresses ?? []) identity.ips.add(normalizeIp(ip));
  for (const host of declared?.hostnames ?? []) identity.hostnames.add(normalizeHostname(host));
  const node = data.nodes.get(nodeName);
  // Until the Node exists and reports its addresses, a SAN missing from the inventory may still turn out to be its own.
  identity.known = node !== undefined && addAddresses(identity, node) > 0;
  if (identity.known) {
    identity.source = declared ? 'inventory + Node status.addresses' : 'Node status.addresses';
  } else if (node) {
    identity.source = 'inventory; Node has no addresses yet';
    identity.waitingFor = 'its Node to report its addresses';
  } else {
    identity.source = 'inventory; Node not registered yet';
    identity.waitingFor = 'its Node to register';
  }
  return identity;
}
