// The small checks both policies share: requestor rules, usages, key strength, subject organisation.

import type { KeyInfo } from '../pki/keys.js';
import type { RequestorRule } from './types.js';

export const NODES_GROUP = 'system:nodes';

/** Default client requestors: OpenShift's node-bootstrapper SA and kubeadm bootstrap tokens. */
export const DEFAULT_CLIENT_REQUESTORS: RequestorRule[] = [
  { user: 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper' },
  { user: 'system:bootstrap:*', group: 'system:bootstrappers' },
];

function matchesUser(pattern: string, username: string): boolean {
  return pattern.endsWith('*') ? username.startsWith(pattern.slice(0, -1)) : username === pattern;
}

/** The first rule the requestor satisfies, or undefined. */
export function findRequestorRule(rules: RequestorRule[], username: string, groups: string[]): RequestorRule | undefined {
  return rules.find((rule) => matchesUser(rule.user, username) && (rule.group === undefined || groups.includes(rule.group)));
}

export function describeRequestorRule(rule: RequestorRule): string {
  return rule.group ? `${rule.user} (group ${rule.group})` : rule.user;
}

/** Usages must be exactly one of the allowed sets (order and duplicates ignored). */
export function checkUsages(usages: string[], purpose: 'client auth' | 'server auth'): string | undefined {
  const got = [...new Set(usages)].sort();
  const allowed = [
    ['digital signature', purpose],
    ['digital signature', 'key encipherment', purpose],
  ].map((set) => [...set].sort());
  if (got.length === usages.length && allowed.some((set) => set.join('|') === got.join('|'))) return undefined;
  return `usages [${usages.join(', ')}] are not {digital signature, ${purpose}} (optionally + key encipherment)`;
}

const CURVE_NAMES: Record<string, string> = {
  'P-256': 'P-256', prime256v1: 'P-256', secp256r1: 'P-256',
  'P-384': 'P-384', secp384r1: 'P-384',
};

/** EC P-256/P-384 or RSA ≥ 2048 bits, like the kubelet and the machine approver accept. */
export function checkKey(key: KeyInfo): string | undefined {
  if (key.algorithm === 'EC') {
    if (CURVE_NAMES[key.curve ?? '']) return undefined;
    return `EC key on curve ${key.curve ?? 'unknown'}; only P-256 and P-384 are accepted`;
  }
  if (key.algorithm === 'RSA') {
    if ((key.bits ?? 0) >= 2048) return undefined;
    return `RSA key of ${key.bits ?? 'unknown'} bits; at least 2048 required`;
  }
  return `${key.name} key; only EC P-256/P-384 or RSA ≥ 2048 are accepted`;
}

/** O must be exactly system:nodes, once. */
export function checkOrganization(organizations: string[]): string | undefined {
  if (organizations.length === 1 && organizations[0] === NODES_GROUP) return undefined;
  return `subject O is [${organizations.join(', ')}], expected exactly [${NODES_GROUP}]`;
}

/** Canonical text of an IP address so `::0001` and `::1` compare equal; non-IPs are returned lower-cased. */
export function normalizeIp(ip: string): string {
  const text = ip.trim().toLowerCase();
  if (text.includes(':')) {
    try {
      return new URL(`http://[${text}]/`).hostname.slice(1, -1);
    } catch {
      return text;
    }
  }
  return text;
}

export function normalizeHostname(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
