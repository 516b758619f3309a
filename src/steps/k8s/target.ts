// How k8s steps name what they act on: apiVersion/kind/name/namespace, or kubectl's `resource: daemonset/etcd-defrag`.

import { StepError } from '../../errors.js';
import type { KubeClient } from '../../k8s/types.js';
import type { ParamsInput } from '../params-type.js';
import type { JsonSchema, ParamIssue } from '../types.js';
import { checkNamespaceName, checkObjectName } from './names.js';

/** A target resolved through discovery: what the client needs plus a display name. */
export interface ResolvedTarget {
  apiVersion: string;
  kind: string;
  name?: string;
  /** Set for namespaced kinds only. */
  namespace?: string;
  namespaced: boolean;
  /** e.g. `daemonset/etcd-defrag -n kube-system`. */
  display: string;
}

/** Schema properties shared by every step that names objects. */
export const targetProperties = {
  apiVersion: { type: 'string', minLength: 1, description: 'API version, e.g. `apps/v1` or `config.openshift.io/v1`.' },
  kind: { type: 'string', minLength: 1, description: 'Kind, e.g. `DaemonSet` (any kind the server serves, CRDs included).' },
  name: { type: 'string', minLength: 1, description: 'Object name.' },
  namespace: { type: 'string', minLength: 1, description: 'Namespace of a namespaced kind (default: the kubeconfig context\'s).' },
  resource: {
    type: 'string',
    pattern: '^[A-Za-z0-9.-]+(/[a-z0-9.:-]+)?$',
    description: 'kubectl shorthand instead of apiVersion/kind/name: `daemonset/etcd-defrag`, `clusterversion/version`, `nodes`.',
  },
} as const satisfies Record<string, JsonSchema>;

/** The target fields as the steps read them (all optional; which ones must be given is targetRequirement's). */
export type TargetParams = ParamsInput<{ type: 'object'; additionalProperties: false; properties: typeof targetProperties }>;

/** The literal schema targetRequirement returns, so the steps' derived types know which fields the anyOf requires. */
export type TargetRequirement<N extends boolean> = {
  readonly anyOf: readonly [
    { readonly required: readonly ['resource'] },
    { readonly required: N extends true ? readonly ['apiVersion', 'kind', 'name'] : readonly ['apiVersion', 'kind'] },
  ];
};

/**
 * Schema clauses for how the target is named: `resource`, or `apiVersion` + `kind` (+ `name` when one object is
 * required). Presence lives in the schema because check() never sees values that are still `${{ }}` templates.
 */
export function targetRequirement(options: { nameRequired: true }): TargetRequirement<true>;
export function targetRequirement(options: { nameRequired: false }): TargetRequirement<false>;
export function targetRequirement(options: { nameRequired: boolean }): TargetRequirement<boolean> {
  return { anyOf: [{ required: ['resource'] }, { required: options.nameRequired ? ['apiVersion', 'kind', 'name'] : ['apiVersion', 'kind'] }] };
}

/** Contradictions between the ways of naming the target (only among values present, templates are left out). */
export function checkTarget(p: TargetParams): ParamIssue[] {
  const issues: ParamIssue[] = [];
  if (p.resource === undefined) return issues;
  if (p.apiVersion !== undefined || p.kind !== undefined) {
    issues.push({ path: 'resource', message: 'give either resource or apiVersion+kind, not both' });
  }
  if (p.resource.includes('/') && p.name !== undefined) issues.push({ path: 'name', message: `resource "${p.resource}" already names the object` });
  return issues;
}

/** Steps acting on one object: the resolved target must name it. */
export function requireName(target: ResolvedTarget): ResolvedTarget & { name: string } {
  if (!target.name) throw new StepError(`${target.display}: name one object (e.g. resource: ${target.display.split(' ')[0]}/NAME, or name:)`);
  return target as ResolvedTarget & { name: string };
}

/** Resolves the target through discovery (CRDs included); namespaced kinds get the context namespace by default. */
export async function resolveTarget(kube: KubeClient, p: TargetParams, signal?: AbortSignal): Promise<ResolvedTarget> {
  let apiVersion = p.apiVersion;
  let kind = p.kind;
  let name = p.name;
  let namespaced: boolean;
  let typeName: string;
  if (p.resource !== undefined) {
    const [type, objectName] = p.resource.split('/', 2) as [string, string | undefined];
    if (!kube.resolveName) throw new StepError('this Kubernetes client cannot resolve `resource:` names; use apiVersion and kind');
    const found = await kube.resolveName(type, signal);
    ({ apiVersion, kind, namespaced } = found);
    name = objectName ?? name;
    typeName = type;
  } else {
    if (!apiVersion || !kind) throw new StepError('apiVersion and kind are required');
    ({ namespaced } = await kube.resolve(apiVersion, kind));
    typeName = kind.toLowerCase();
  }
  const namespace = namespaced ? p.namespace ?? kube.defaultNamespace ?? 'default' : undefined;
  // Templates are only known now (plan and run): a name that became '' or 'a/b' must not reach the request path.
  const nameProblem = name === undefined ? undefined : checkObjectName(name, apiVersion!);
  if (nameProblem) throw new StepError(`name: ${nameProblem}`, { errorClass: 'permanent' });
  const namespaceProblem = namespace === undefined ? undefined : checkNamespaceName(namespace);
  if (namespaceProblem) throw new StepError(`namespace: ${namespaceProblem}`, { errorClass: 'permanent' });
  const display = `${typeName}${name ? `/${name}` : ''}${namespace ? ` -n ${namespace}` : ''}`;
  return { apiVersion: apiVersion!, kind: kind!, name, namespace, namespaced, display };
}

/** `metadata.name=NAME` plus any extra field selector, so a single-object watch stays one list + one watch. */
export function nameFieldSelector(name: string | undefined, extra?: string): string | undefined {
  const parts = [name ? `metadata.name=${name}` : undefined, extra].filter((s): s is string => !!s);
  return parts.length > 0 ? parts.join(',') : undefined;
}

/** `kind/name` (`-n ns`) of an object, for outputs and messages. */
export function describeObject(obj: { kind?: string; metadata: { name?: string; namespace?: string } }): string {
  const ns = obj.metadata.namespace ? ` -n ${obj.metadata.namespace}` : '';
  return `${(obj.kind ?? 'object').toLowerCase()}/${obj.metadata.name ?? '?'}${ns}`;
}
