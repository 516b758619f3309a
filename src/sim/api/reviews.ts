// SelfSubjectReview (who am I, as the server sees me) and SelfSubjectAccessReview (may I?): create-only, never stored.

import type { ResourceDef } from '../resources.js';
import { isAdmin, type UserInfo } from './auth.js';
import type { RbacAuthorizer } from './rbac.js';
import { badRequest } from './status.js';

function review(group: string, resource: string, kind: string): ResourceDef {
  return {
    group, version: 'v1', resource, singular: '', kind, namespaced: false, shortNames: [], subresources: [], generation: false,
    statusOwnedBySubresource: false, categories: [], custom: false, apiVersion: `${group}/v1`, key: `${resource}.${group}`, verbs: ['create'],
  };
}

/** Listed by discovery (kubectl auth whoami / can-i look them up) but answered by answerReview, not the store. */
export const REVIEW_DEFS: ResourceDef[] = [
  review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview'),
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
];

const PATHS: Record<string, 'ssr' | 'ssar'> = {
  '/apis/authentication.k8s.io/v1/selfsubjectreviews': 'ssr',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews': 'ssar',
};

/** true when a path names a review resource (answered by POST only). */
export function isReviewPath(path: string): boolean {
  return path in PATHS;
}

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

/** The review object the real server returns for a POST to a review path. */
export function answerReview(path: string, body: unknown, user: UserInfo, rbac: RbacAuthorizer): object {
  const metadata = { creationTimestamp: null };
  if (PATHS[path] === 'ssr') {
    const userInfo = { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra ? { extra: user.extra } : {}) };
    return { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata, status: { userInfo } };
  }
  const spec = (body as { spec?: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: unknown } } | undefined)?.spec;
  const attrs = spec?.resourceAttributes;
  if (!attrs && !spec?.nonResourceAttributes) throw badRequest('SelfSubjectAccessReview: exactly one of nonResourceAttributes or resourceAttributes must be specified');
  const base = { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata, spec };
  if (isAdmin(user)) return { ...base, status: { allowed: true } };
  if (!attrs) return { ...base, status: { allowed: false, reason: 'nonResourceURLs are not evaluated by the simulation' } };
  const allowed = rbac.allows(user, {
    verb: attrs.verb ?? '',
    group: attrs.group ?? '',
    resource: attrs.resource ?? '',
    ...(attrs.subresource ? { subresource: attrs.subresource } : {}),
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
  });
  return { ...base, status: allowed ? { allowed: true, reason: 'allowed by RBAC' } : { allowed: false } };
}
