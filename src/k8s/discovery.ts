// Kind → resource lookups through the API server's discovery documents (so CRDs work), cached per client.

import { StepError } from '../errors.js';

export interface ApiResource {
  /** Plural resource name, e.g. `daemonsets`. */
  name: string;
  kind: string;
  namespaced: boolean;
  singularName?: string;
  shortNames?: string[];
  verbs?: string[];
}

export interface ResolvedResource {
  apiVersion: string;
  kind: string;
  resource: string;
  namespaced: boolean;
}

/** Fetches a discovery document (parsed JSON) with an optional Accept header; throws StepError like any API call. */
export type FetchJson = (path: string, signal?: AbortSignal, accept?: string) => Promise<unknown>;

/** Aggregated discovery (Kubernetes 1.26+): every group's resources in one answer; older servers send the legacy list. */
const AGGREGATED_ACCEPT = [
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
  'application/json',
].join(',');

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: {
      version: string;
      resources?: { resource: string; responseKind?: { kind?: string }; scope?: string; singularResource?: string; shortNames?: string[] }[];
    }[];
  }[];
}

/** Group versions (preferred first) and their resources from an aggregated document, or undefined for a legacy one. */
function readAggregated(doc: unknown): { apiVersion: string; resources: ApiResource[] }[] | undefined {
  const list = doc as AggregatedList;
  if (list?.kind !== 'APIGroupDiscoveryList') return undefined;
  const out: { apiVersion: string; resources: ApiResource[] }[] = [];
  for (const group of list.items ?? []) {
    const name = group.metadata?.name ?? '';
    for (const v of group.versions ?? []) {
      out.push({
        apiVersion: name ? `${name}/${v.version}` : v.version,
        resources: (v.resources ?? []).map((r) => ({
          name: r.resource,
          kind: r.responseKind?.kind ?? '',
          namespaced: r.scope === 'Namespaced',
          singularName: r.singularResource,
          shortNames: r.shortNames,
        })),
      });
    }
  }
  return out;
}

export interface Discovery {
  /** The resource serving `kind` in `apiVersion`; refetches once so a CRD created meanwhile is found. */
  resolve(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResolvedResource>;
  /** kubectl-style names: `daemonset`, `ds`, `daemonsets.apps`, `configs.imageregistry.operator.openshift.io`. */
  resolveName(name: string, signal?: AbortSignal): Promise<ResolvedResource>;
}

function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

export function createDiscovery(fetchJson: FetchJson): Discovery {
  const cache = new Map<string, Promise<ApiResource[]>>();
  let groupVersions: Promise<string[]> | undefined;

  function resourcesOf(apiVersion: string, refresh: boolean, signal?: AbortSignal): Promise<ApiResource[]> {
    let entry = cache.get(apiVersion);
    if (!entry || refresh) {
      entry = fetchJson(groupVersionPath(apiVersion), signal).then((doc) =>
        ((doc as { resources?: ApiResource[] }).resources ?? []).filter((r) => !r.name.includes('/')),
      );
      cache.set(apiVersion, entry);
      entry.catch(() => cache.delete(apiVersion)); // never cache a failure
    }
    return entry;
  }

  async function resolve(apiVersion: string, kind: string, signal?: AbortSignal): Promise<ResolvedResource> {
    const find = (list: ApiResource[]) => list.find((r) => r.kind === kind);
    const cached = cache.has(apiVersion);
    let found = find(await resourcesOf(apiVersion, false, signal).catch((e) => rethrowUnknownVersion(e, apiVersion)));
    if (!found && cached) found = find(await resourcesOf(apiVersion, true, signal));
    if (!found) {
      const known = (await resourcesOf(apiVersion, false, signal)).map((r) => r.kind).join(', ');
      throw new StepError(`the server has no kind ${kind} in ${apiVersion} (it serves: ${known || 'nothing'})`);
    }
    return { apiVersion, kind, resource: found.name, namespaced: found.namespaced };
  }

  // One request each for /api and /apis when the server speaks aggregated discovery (it also fills the per-version cache).
  async function readRoot(path: '/api' | '/apis', signal?: AbortSignal): Promise<string[]> {
    const doc = await fetchJson(path, signal, AGGREGATED_ACCEPT);
    const aggregated = readAggregated(doc);
    if (aggregated) {
      for (const gv of aggregated) if (!cache.has(gv.apiVersion)) cache.set(gv.apiVersion, Promise.resolve(gv.resources));
      return aggregated.map((gv) => gv.apiVersion);
    }
    if (path === '/api') return (doc as { versions?: string[] }).versions ?? ['v1'];
    const groups = (doc as { groups?: { preferredVersion?: { groupVersion: string }; versions?: { groupVersion: string }[] }[] }).groups ?? [];
    return groups.map((g) => g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion).filter((gv): gv is string => !!gv);
  }

  function listGroupVersions(signal?: AbortSignal): Promise<string[]> {
    groupVersions ??= Promise.all([readRoot('/api', signal), readRoot('/apis', signal)]).then(([core, groups]) => [...core, ...groups]);
    groupVersions.catch(() => (groupVersions = undefined));
    return groupVersions;
  }

  async function resolveName(name: string, signal?: AbortSignal): Promise<ResolvedResource> {
    const cached = groupVersions !== undefined;
    const found = await findName(name, signal);
    if (found || !cached) return orNotFound(found, name);
    // A CRD may have been added since the group list was read: read discovery afresh, once.
    groupVersions = undefined;
    cache.clear();
    return orNotFound(await findName(name, signal), name);
  }

  async function findName(name: string, signal?: AbortSignal): Promise<ResolvedResource | undefined> {
    const lower = name.toLowerCase();
    const dot = lower.indexOf('.');
    const base = dot < 0 ? lower : lower.slice(0, dot);
    const qualifier = dot < 0 ? undefined : lower.slice(dot + 1);
    const candidates = (await listGroupVersions(signal)).filter((gv) => matchesQualifier(gv, qualifier));
    for (const apiVersion of candidates) {
      const resources = await resourcesOf(apiVersion, false, signal);
      const hit = resources.find(
        (r) => r.name === base || r.singularName === base || r.kind.toLowerCase() === base || r.shortNames?.includes(base),
      );
      if (hit) return { apiVersion, kind: hit.kind, resource: hit.name, namespaced: hit.namespaced };
    }
    return undefined;
  }

  return { resolve, resolveName };
}

function orNotFound(found: ResolvedResource | undefined, name: string): ResolvedResource {
  if (!found) throw new StepError(`the server doesn't have a resource type "${name}"`);
  return found;
}

// `apps` matches apps/v1; `v1.apps` pins the version; no qualifier matches every group, core first.
function matchesQualifier(groupVersion: string, qualifier: string | undefined): boolean {
  if (qualifier === undefined) return true;
  const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
  if (qualifier === group) return true;
  return qualifier === `${version}.${group}` || (group === '' && qualifier === version);
}

function rethrowUnknownVersion(error: unknown, apiVersion: string): never {
  if (error instanceof StepError && (error.details as { code?: number } | undefined)?.code === 404) {
    throw new StepError(`the server does not serve apiVersion ${apiVersion}`, { cause: error, details: error.details });
  }
  throw error;
}
