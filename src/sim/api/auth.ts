// Bearer-token authentication, impersonation and a small authorization policy, as the real server applies them.

import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, forbidden, unauthorized } from './status.js';
import type { ResourceDef } from '../resources.js';

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

export function isAdmin(user: UserInfo): boolean {
  return user.groups.includes(MASTERS);
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

/** A deliberately small RBAC: cluster admins do anything; nodes and bootstrappers only what kubelets need. */
export function authorize(
  user: UserInfo,
  verb: string,
  def: ResourceDef,
  target: { name?: string; namespace?: string; subresource?: string },
): void {
  if (isAdmin(user)) return;
  const nodeAllowed =
    user.groups.includes('system:nodes') && NODE_RESOURCES.has(def.resource) && NODE_VERBS.has(verb) && target.subresource !== 'approval';
  const csrAllowed = !target.subresource && NON_ADMIN[def.resource]?.has(verb);
  if (nodeAllowed || csrAllowed) return;
  const resource = target.subresource ? `${def.resource}/${target.subresource}` : def.resource;
  throw forbidden(user.username, verb, { group: def.group, resource, name: target.name, namespace: target.namespace });
}
