// Minimal RBAC over stored Roles/RoleBindings/ClusterRoles/ClusterRoleBindings: resource rules only
// (apiGroups, resources incl. "x/sub", verbs, resourceNames, "*"); not evaluated: nonResourceURLs, aggregationRule, escalation checks.

import type { ResourceDef } from '../resources.js';
import type { ObjectStore } from '../store/store.js';
import type { UserInfo } from './auth.js';

export interface AccessRequest {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  name?: string;
  namespace?: string;
}

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

interface Binding {
  metadata: { namespace?: string };
  roleRef?: { kind?: string; name?: string };
  subjects?: Subject[];
}

const has = (list: string[] | undefined, value: string) => !!list && (list.includes('*') || list.includes(value));

function ruleAllows(rule: Rule, request: AccessRequest): boolean {
  const resource = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  if (!has(rule.verbs, request.verb) || !has(rule.apiGroups, request.group)) return false;
  const resourceMatch = has(rule.resources, resource) || (!!request.subresource && !!rule.resources?.includes(`*/${request.subresource}`));
  if (!resourceMatch) return false;
  // resourceNames restrict to named objects: a create or a list (no name) never matches them, as in the real authorizer.
  if (rule.resourceNames && rule.resourceNames.length > 0) return !!request.name && rule.resourceNames.includes(request.name);
  return true;
}

function subjectMatches(subject: Subject, user: UserInfo): boolean {
  if (subject.kind === 'User') return subject.name === user.username;
  if (subject.kind === 'Group') return !!subject.name && user.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount') return user.username === `system:serviceaccount:${subject.namespace}:${subject.name}`;
  return false;
}

/** Looks RBAC objects up in the simulation's store; absent when the resource set has no RBAC group. */
export class RbacAuthorizer {
  private readonly defs: Record<'roles' | 'rolebindings' | 'clusterroles' | 'clusterrolebindings', ResourceDef | undefined>;

  constructor(
    private readonly store: ObjectStore,
    defs: ResourceDef[],
  ) {
    const find = (resource: string) => defs.find((d) => d.group === 'rbac.authorization.k8s.io' && d.resource === resource);
    this.defs = { roles: find('roles'), rolebindings: find('rolebindings'), clusterroles: find('clusterroles'), clusterrolebindings: find('clusterrolebindings') };
  }

  /** true when a binding that names the user (or one of its groups) grants a role with a matching rule. */
  allows(user: UserInfo, request: AccessRequest): boolean {
    const { roles, rolebindings, clusterroles, clusterrolebindings } = this.defs;
    if (!roles || !rolebindings || !clusterroles || !clusterrolebindings) return false;
    const rulesOf = (kind: string | undefined, name: string | undefined, namespace: string | undefined): Rule[] => {
      if (!name) return [];
      const stored = kind === 'ClusterRole' ? this.store.get(clusterroles, undefined, name) : kind === 'Role' && namespace ? this.store.get(roles, namespace, name) : undefined;
      return ((stored?.object as { rules?: Rule[] } | undefined)?.rules ?? []);
    };
    const grants = (binding: Binding, namespace: string | undefined) =>
      (binding.subjects ?? []).some((s) => subjectMatches(s, user)) &&
      rulesOf(binding.roleRef?.kind, binding.roleRef?.name, namespace).some((rule) => ruleAllows(rule, request));
    for (const stored of this.store.list(clusterrolebindings)) {
      const binding = stored.object as unknown as Binding;
      if (binding.roleRef?.kind === 'ClusterRole' && grants(binding, undefined)) return true;
    }
    if (!request.namespace) return false;
    return this.store.list(rolebindings, request.namespace).some((stored) => grants(stored.object as unknown as Binding, request.namespace));
  }
}
