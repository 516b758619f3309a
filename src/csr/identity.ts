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
  ips: Set<string>;
  hostnames: Set<string>;
  /** For messages: where the identity came from. */
  source: string;
}

const IP_TYPES = new Set(['InternalIP', 'ExternalIP']);
const DNS_TYPES = new Set(['Hostname', 'InternalDNS', 'ExternalDNS']);

function addAddresses(target: ResolvedIdentity, addresses: NodeAddress[]): void {
  for (const { type, address } of addresses) {
    if (!address) continue;
    if (IP_TYPES.has(type ?? '')) target.ips.add(normalizeIp(address));
    else if (DNS_TYPES.has(type ?? '')) target.hostnames.add(normalizeHostname(address));
  }
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
      addAddresses(identity, machine.addresses);
      identity.known = true;
      identity.source = `Machine ${machine.name}`;
    } else {
      identity.source = 'no Machine for this node';
    }
    return identity;
  }
  const declared = inventoryIdentity(selector, nodeName);
  for (const ip of declared?.addresses ?? []) identity.ips.add(normalizeIp(ip));
  for (const host of declared?.hostnames ?? []) identity.hostnames.add(normalizeHostname(host));
  const node = data.nodes.get(nodeName);
  if (node) addAddresses(identity, node);
  // The Node object may still add addresses, so only a seen Node makes the identity complete.
  identity.known = node !== undefined;
  identity.source = node ? (declared ? 'inventory + Node status.addresses' : 'Node status.addresses') : 'inventory (Node not registered yet)';
  return identity;
}
