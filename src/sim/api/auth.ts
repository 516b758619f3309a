// Bearer-token authentication, impersonation and a small authorization policy, as the real server applies them.

import { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, forbidden, unauthorized } from './status.js';
import type { ResourceDef } from '../resources.js';
import type { RbacAuthorizer } from './rbac.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';
const ANONYMOUS = 'system:anonymous';
const MASTERS = 'system:masters';

/** Adds system:authenticated as the real authenticator chain does. */
export function withAuthenticated(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED) ? user : { ...user, groups: [...user.groups, AUTHENTICATED] };
}

// kubeadm binds kubeadm:cluster-admins (admin.conf's group since v1.29) to cluster-admin.
export function isAdmin(user: UserInfo): boolean {
  return user.groups.includes(MASTERS) || user.groups.includes('kubeadm:cluster-admins');
}

export class Authenticator {
  private readonly tokens = new Map<string, UserInfo>();

  addToken(token: string, user: UserInfo): void {
    this.tokens.set(token, withAuthenticated(user));
  }

  /** The user behind an `Authorization: Bearer …` header; 401 otherwise. */
  authenticate(header: string | undefined): UserInfo {
    if (!header || !header.startsWith('Bearer ')) throw unauthorized();
    const user = this.tokens.get(header.slice(7).trim());
    if (!user) throw unauthorized();
    return user;
  }
}

function headerList(headers: IncomingHttpHeaders, distinct: Record<string, string[]> | undefined, name: string): string[] {
  if (distinct?.[name]) return distinct[name]!;
  const value = headers[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The groups kube-apiserver's impersonation filter ends with: system:anonymous gets system:unauthenticated;
 * anyone else gets system:authenticated unless either of the two all-users groups was asked for.
 */
function withImpersonatedAllGroup(username: string, groups: string[]): string[] {
  if (username === ANONYMOUS) return groups.includes(UNAUTHENTICATED) ? groups : [...groups, UNAUTHENTICATED];
  return groups.includes(AUTHENTICATED) || groups.includes(UNAUTHENTICATED) ? groups : [...groups, AUTHENTICATED];
}

/**
 * Applies Impersonate-* headers: only cluster admins may impersonate; a service-account username
 * without explicit groups gets its fixed groups; then the all-users group as the real filter adds it.
 */
export function impersonate(
  requester: UserInfo,
  headers: IncomingHttpHeaders,
  distinct?: Record<string, string[]>,
): UserInfo {
  const users = headerList(headers, distinct, 'impersonate-user');
  const groups = headerList(headers, distinct, 'impersonate-group');
  const uids = headerList(headers, distinct, 'impersonate-uid');
  const extraKeys = Object.keys(headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (users.length === 0) {
    if (groups.length > 0 || uids.length > 0 || extraKeys.length > 0) {
      throw new ApiError(500, 'InternalError', 'requested impersonation of groups or extra without a user');
    }
    return requester;
  }
  const username = users[0]!;
  if (!isAdmin(requester)) {
    throw new ApiError(403, 'Forbidden', `users "${username}" is forbidden: User "${requester.username}" cannot impersonate resource "users" in API group "" at the cluster scope`, { name: username, kind: 'users' });
  }
  let effectiveGroups = [...groups];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username);
  if (sa && groups.length === 0) effectiveGroups = ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`];
  const extra: Record<string, string[]> = {};
  for (const key of extraKeys) {
    extra[decodeURIComponent(key.slice('impersonate-extra-'.length))] = headerList(headers, distinct, key);
  }
  const user: UserInfo = { username, groups: withImpersonatedAllGroup(username, effectiveGroups) };
  if (uids[0]) user.uid = uids[0];
  if (extraKeys.length > 0) user.extra = extra;
  return user;
}

/** Verbs a non-admin identity may use, by resource; everything else is Forbidden. */
const NON_ADMIN: Record<string, Set<string>> = {
  certificatesigningrequests: new Set(['create', 'get', 'list', 'watch']),
};
const NODE_RESOURCES = new Set(['nodes', 'leases', 'pods', 'certificatesigningrequests']);
const NODE_VERBS = new Set(['create', 'get', 'list', 'watch', 'update', 'patch']);

/** Cluster admins do anything; nodes and bootstrappers what kubelets need; anyone else what stored RBAC objects grant. */
export function authorize(
  user: UserInfo,
  verb: string,
  def: ResourceDef,
  target: { name?: string; namespace?: string; subresource?: string },
  rbac?: RbacAuthorizer,
): void {
  if (isAdmin(user)) return;
  if (rbac?.allows(user, { verb, group: def.group, resource: def.resource, ...target })) return;
  const nodeAllowed =
    user.groups.includes('system:nodes') && NODE_RESOURCES.has(def.resource) && NODE_VERBS.has(verb) && target.subresource !== 'approval';
  const csrAllowed = !target.subresource && NON_ADMIN[def.resource]?.has(verb);
  if (nodeAllowed || csrAllowed) return;
  const resource = target.subresource ? `${def.resource}/${target.subresource}` : def.resource;
  throw forbidden(user.username, verb, { group: def.group, resource, name: target.name, namespace: target.namespace });
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * kube-apiserver's x509 authenticator: a client certificate chaining to the client CA, valid now and for client auth;
 * CN is the user, O the groups. Anything else is 401, as the real server answers (its log says why).
 */
export function authenticateClientCertificate(der: Buffer, caPem: string, now: number): UserInfo {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(der);
    ca = new X509Certificate(caPem);
  } catch {
    throw unauthorized();
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw unauthorized();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) throw unauthorized();
  if (cert.keyUsage && !cert.keyUsage.includes(CLIENT_AUTH)) throw unauthorized();
  const fields = cert.subject.split('\n').map((line) => line.split('=')) as [string, string][];
  const username = fields.find(([k]) => k === 'CN')?.[1];
  if (!username) throw unauthorized();
  return withAuthenticated({ username, groups: fields.filter(([k]) => k === 'O').map(([, v]) => v) });
}
