// Decides whether a kubelet client CSR may be approved. Pure: everything it needs comes in `env`.

import { checkKey, checkOrganization, checkUsages, describeRequestorRule, findRequestorRule } from './checks.js';
import { isSelectedNode } from './inventory.js';
import { isParsed, nodeNameOf } from './record.js';
import { CLIENT_SIGNER, type CheckId, type CsrRecord, type NodeSelector, type RequestorRule, type Verdict } from './types.js';

export interface ClientPolicyEnv {
  selector: NodeSelector;
  requestors: RequestorRule[];
  /** Current time on the run's clock (ms). */
  now: number;
  maxAgeMs: number;
  allowExistingNode: boolean;
  /**
   * true when a Node of this name exists and this CSR is not a rotation duplicate of one this run approved
   * (the caller decides; see the approve step).
   */
  nodeExists(name: string, csr: CsrRecord): boolean;
}

function refuse(check: CheckId, reason: string, final = true): Verdict {
  return { approve: false, check, reason, final };
}

/** Every check of the issue, in order; the first that fails is the reason. */
export function evaluateClientCsr(csr: CsrRecord, env: ClientPolicyEnv): Verdict {
  if (csr.signerName !== CLIENT_SIGNER) return refuse('signer', `signer ${csr.signerName || '(none)'} is not ${CLIENT_SIGNER}`);
  if (!findRequestorRule(env.requestors, csr.username, csr.groups)) {
    const allowed = env.requestors.map(describeRequestorRule).join(', ');
    return refuse('requestor', `requestor ${csr.username || '(none)'} is not an allowed bootstrapper (${allowed})`);
  }
  const request = csr.request;
  if (!isParsed(request)) return refuse('pem', request.error);
  if (!request.signatureValid) return refuse('signature', 'the request signature does not verify with its public key');
  const organization = checkOrganization(request.organizations);
  if (organization) return refuse('organization', organization);
  const name = request.commonName === undefined ? undefined : nodeNameOf(request.commonName);
  if (name === undefined) {
    return refuse('common-name', `subject CN ${request.commonNames.join(', ') || '(none)'} is not system:node:<name>`);
  }
  if (!isSelectedNode(env.selector, name)) return refuse('inventory', `node ${name} is not in the inventory`);
  const sans = request.sans;
  const sanCount = sans.dnsNames.length + sans.ipAddresses.length + sans.emails.length + sans.uris.length + sans.other.length;
  if (sanCount > 0 || request.unreadableSans) {
    const listed = [...sans.dnsNames, ...sans.ipAddresses, ...sans.emails, ...sans.uris, ...sans.other].join(', ');
    return refuse('sans', `a client CSR must carry no SANs (found ${listed || 'an unreadable SAN extension'})`);
  }
  const usages = checkUsages(csr.usages, 'client auth');
  if (usages) return refuse('usages', usages);
  const key = checkKey(request.key);
  if (key) return refuse('key', key);
  if (!env.allowExistingNode && env.nodeExists(name, csr)) {
    return refuse('existing-node', `Node ${name} already exists (a new client certificate would take over its identity)`);
  }
  if (csr.createdAt === undefined) return refuse('max-age', 'creationTimestamp is missing');
  const age = env.now - csr.createdAt;
  if (age > env.maxAgeMs) {
    return refuse('max-age', `created ${formatAge(age)} ago, older than maxAge ${formatAge(env.maxAgeMs)}`);
  }
  return { approve: true };
}

/** The node a client CSR claims, from its CN (undefined when unreadable). */
export function claimedClientNode(csr: CsrRecord): string | undefined {
  return isParsed(csr.request) && csr.request.commonName ? nodeNameOf(csr.request.commonName) : undefined;
}

export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m}m`;
  return `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
}
