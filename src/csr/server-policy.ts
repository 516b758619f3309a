// Decides whether a kubelet serving CSR may be approved: the requesting node must only claim its own names and IPs.

import { checkKey, checkOrganization, checkUsages, NODES_GROUP, normalizeHostname, normalizeIp } from './checks.js';
import type { ResolvedIdentity } from './identity.js';
import { isSelectedNode } from './inventory.js';
import { isParsed, nodeNameOf } from './record.js';
import { SERVING_SIGNER, type CheckId, type CsrRecord, type NodeSelector, type Verdict } from './types.js';

export interface ServerPolicyEnv {
  selector: NodeSelector;
  /** The node's identity per the step's `identity` source. */
  identityOf(name: string): ResolvedIdentity;
}

function refuse(check: CheckId, reason: string): Verdict {
  return { approve: false, check, reason, final: true };
}

/**
 * SANs outside the node's identity: refused when the identity is complete; else not verifiable yet (not final,
 * never approved) since the Node/Machine may still report them.
 */
function identityMismatch(check: 'dns-identity' | 'ip-identity', sans: string[], node: string, identity: ResolvedIdentity): Verdict {
  const what = check === 'dns-identity' ? `DNS SAN ${sans.join(', ')}` : `IP SAN ${sans.join(', ')}`;
  if (identity.known) {
    return refuse(check, `${what} is not ${check === 'dns-identity' ? 'a hostname' : 'an address'} of node ${node} (per ${identity.source})`);
  }
  const reason = `${what} is not among the ${check === 'dns-identity' ? 'hostnames' : 'addresses'} known so far for node ${node} (per ${identity.source})`;
  return { approve: false, check, reason, final: false, waitingFor: identity.waitingFor ?? 'the node identity' };
}

export function evaluateServerCsr(csr: CsrRecord, env: ServerPolicyEnv): Verdict {
  if (csr.signerName !== SERVING_SIGNER) return refuse('signer', `signer ${csr.signerName || '(none)'} is not ${SERVING_SIGNER}`);
  const name = nodeNameOf(csr.username);
  if (name === undefined) return refuse('requestor', `requestor ${csr.username || '(none)'} is not system:node:<name>`);
  if (!isSelectedNode(env.selector, name)) return refuse('inventory', `node ${name} is not in the inventory`);
  if (!csr.groups.includes(NODES_GROUP)) {
    return refuse('groups', `requestor groups [${csr.groups.join(', ')}] do not include ${NODES_GROUP}`);
  }
  const request = csr.request;
  if (!isParsed(request)) return refuse('pem', request.error);
  if (!request.signatureValid) return refuse('signature', 'the request signature does not verify with its public key');
  if (request.commonName !== csr.username) {
    return refuse('common-name', `subject CN ${request.commonNames.join(', ') || '(none)'} differs from the requestor ${csr.username}`);
  }
  const organization = checkOrganization(request.organizations);
  if (organization) return refuse('organization', organization);
  const usages = checkUsages(csr.usages, 'server auth');
  if (usages) return refuse('usages', usages);
  const sans = request.sans;
  if (sans.emails.length + sans.uris.length + sans.other.length > 0 || request.unreadableSans) {
    const listed = [...sans.emails, ...sans.uris, ...sans.other].join(', ');
    return refuse('sans', `a serving CSR may carry only DNS and IP SANs (found ${listed || 'an unreadable SAN extension'})`);
  }
  if (sans.dnsNames.length + sans.ipAddresses.length === 0) return refuse('sans', 'a serving CSR needs at least one DNS or IP SAN');
  // Before the identity checks, which may have to wait for the Node: a weak key is refused at once.
  const key = checkKey(request.key);
  if (key) return refuse('key', key);
  const identity = env.identityOf(name);
  const strangerDns = sans.dnsNames.filter((dns) => !identity.hostnames.has(normalizeHostname(dns)));
  if (strangerDns.length > 0) {
    return identityMismatch('dns-identity', strangerDns, name, identity);
  }
  const strangerIps = sans.ipAddresses.filter((ip) => !identity.ips.has(normalizeIp(ip)));
  if (strangerIps.length > 0) {
    return identityMismatch('ip-identity', strangerIps, name, identity);
  }
  return { approve: true };
}

/** The node a serving CSR is for: its requestor. */
export function claimedServerNode(csr: CsrRecord): string | undefined {
  return nodeNameOf(csr.username);
}
