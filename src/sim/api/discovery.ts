// Discovery documents (legacy and aggregated v2), computed once per server since the resource set never changes.

import { RESOURCE_VERBS, type ResourceDef } from '../resources.js';

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

export interface DiscoveryDocs {
  /** Path → JSON text of the legacy documents (/api, /api/v1, /apis, /apis/g, /apis/g/v). */
  legacy: Map<string, string>;
  aggregatedCore: { v2: string; v2beta1: string };
  aggregatedApis: { v2: string; v2beta1: string };
}

function subresourceVerbs(sub: string): string[] {
  if (sub === 'eviction') return ['create'];
  return sub === 'approval' || sub === 'status' ? ['get', 'patch', 'update'] : ['get'];
}

/** A subresource's own kind where it is not its resource's: kubectl drain evicts only where discovery names pods/eviction as policy/v1 Eviction. */
function subresourceKind(def: ResourceDef, sub: string): { group: string; version: string; kind: string } {
  return sub === 'eviction' ? { group: 'policy', version: 'v1', kind: 'Eviction' } : { group: def.group, version: def.version, kind: def.kind };
}

function legacyResourceList(groupVersion: string, defs: ResourceDef[]): object {
  const resources: object[] = [];
  for (const def of defs) {
    resources.push({
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs ?? RESOURCE_VERBS,
      ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
      ...(def.categories.length ? { categories: def.categories } : {}),
    });
    for (const sub of def.subresources) {
      const own = subresourceKind(def, sub);
      const groupVersion = own.kind === def.kind ? {} : { group: own.group, version: own.version };
      resources.push({ name: `${def.resource}/${sub}`, singularName: '', namespaced: def.namespaced, ...groupVersion, kind: own.kind, verbs: subresourceVerbs(sub) });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

function aggregatedResource(def: ResourceDef): object {
  const responseKind = { group: def.group, version: def.version, kind: def.kind };
  return {
    resource: def.resource,
    responseKind,
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: def.verbs ?? RESOURCE_VERBS,
    ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
    ...(def.categories.length ? { categories: def.categories } : {}),
    ...(def.subresources.length
      ? { subresources: def.subresources.map((sub) => ({ subresource: sub, responseKind: subresourceKind(def, sub), verbs: subresourceVerbs(sub) })) }
      : {}),
  };
}

function groupBy(defs: ResourceDef[]): Map<string, ResourceDef[]> {
  const groups = new Map<string, ResourceDef[]>();
  for (const def of defs) {
    const list = groups.get(def.group) ?? [];
    list.push(def);
    groups.set(def.group, list);
  }
  return groups;
}

function aggregated(items: object[], apiVersion: string): string {
  return JSON.stringify({ kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items });
}

/** Every discovery document for a resource set. */
export function buildDiscovery(defs: ResourceDef[], serverAddress: string): DiscoveryDocs {
  const legacy = new Map<string, string>();
  const groups = groupBy(defs);
  const core = groups.get('') ?? [];
  legacy.set('/api', JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] }));
  legacy.set('/api/v1', JSON.stringify(legacyResourceList('v1', core)));
  const groupDocs: object[] = [];
  const aggregatedGroups: object[] = [];
  for (const [group, list] of groups) {
    if (group === '') continue;
    const version = list[0]!.version;
    const gv = { groupVersion: `${group}/${version}`, version };
    const groupDoc = { name: group, versions: [gv], preferredVersion: gv };
    groupDocs.push(groupDoc);
    legacy.set(`/apis/${group}`, JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...groupDoc }));
    legacy.set(`/apis/${group}/${version}`, JSON.stringify(legacyResourceList(`${group}/${version}`, list)));
    aggregatedGroups.push({ metadata: { name: group }, versions: [{ version, resources: list.map(aggregatedResource), freshness: 'Current' }] });
  }
  legacy.set('/apis', JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: groupDocs }));
  const coreItems = [{ metadata: {}, versions: [{ version: 'v1', resources: core.map(aggregatedResource), freshness: 'Current' }] }];
  return {
    legacy,
    aggregatedCore: { v2: aggregated(coreItems, 'apidiscovery.k8s.io/v2'), v2beta1: aggregated(coreItems, 'apidiscovery.k8s.io/v2beta1') },
    aggregatedApis: { v2: aggregated(aggregatedGroups, 'apidiscovery.k8s.io/v2'), v2beta1: aggregated(aggregatedGroups, 'apidiscovery.k8s.io/v2beta1') },
  };
}

/** Which aggregated discovery format the Accept header asks for, if any. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept || !accept.includes('as=APIGroupDiscoveryList')) return undefined;
  for (const part of accept.split(',')) {
    if (part.includes('as=APIGroupDiscoveryList') && part.includes('v=v2beta1')) return 'v2beta1';
    if (part.includes('as=APIGroupDiscoveryList') && /v=v2(;|$)/.test(part.replace(/\s/g, ''))) return 'v2';
  }
  return undefined;
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return version === 'v2' ? AGGREGATED_CONTENT_TYPE : AGGREGATED_V2BETA1;
}
