// Maps a request path to a resource, namespace, name and subresource (or to nothing: a 404 from the caller).

import type { ResourceDef } from '../resources.js';

export interface ResourceRoute {
  def: ResourceDef;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  /** The legacy `/watch/` path prefix was used. */
  watchPrefix: boolean;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** undefined when the path names no known resource. */
export function routeResource(path: string, index: Map<string, ResourceDef>): ResourceRoute | undefined {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;
  let watchPrefix = false;
  if (rest[0] === 'watch') {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const def = index.get(`${group}/${version}/${rest[0]}`);
  if (!def) return undefined;
  if (namespace !== undefined && !def.namespaced) return undefined;
  const subresource = rest[2];
  if (subresource !== undefined && !def.subresources.includes(subresource)) return undefined;
  return { def, namespace, name: rest[1], subresource, watchPrefix };
}
