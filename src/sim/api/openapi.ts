// OpenAPI v3 documents, just enough for kubectl: each write operation names its GVK and accepts `fieldValidation`,
// so kubectl delegates validation to the server (no client-side schemas); apply falls back to its built-in types.

import { createHash } from 'node:crypto';
import type { ResourceDef } from '../resources.js';

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: name === 'force' ? { type: 'boolean' } : { type: 'string' },
  uniqueItems: true,
}));

function operation(def: ResourceDef, action: string): object {
  return {
    operationId: `${action}${def.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: def.group, version: def.version, kind: def.kind },
    parameters: action === 'get' || action === 'list' ? [] : WRITE_PARAMS,
    responses: { '200': { description: 'OK' } },
  };
}

function groupVersionPath(def: ResourceDef): string {
  return def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
}

function buildDocument(defs: ResourceDef[], title: string): object {
  const paths: Record<string, object> = {};
  for (const def of defs) {
    const base = `/${groupVersionPath(def)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.resource}`;
    paths[base] = { get: operation(def, 'list'), post: operation(def, 'post') };
    paths[`${base}/{name}`] = { get: operation(def, 'get'), put: operation(def, 'put'), patch: operation(def, 'patch'), delete: operation(def, 'delete') };
    for (const sub of def.subresources) {
      paths[`${base}/{name}/${sub}`] = { get: operation(def, 'get'), put: operation(def, 'put'), patch: operation(def, 'patch') };
    }
  }
  return { openapi: '3.0.0', info: { title, version: 'unversioned' }, paths, components: { schemas: {} } };
}

const cache = new WeakMap<ResourceDef[], Map<string, string>>();

function documents(defs: ResourceDef[]): Map<string, string> {
  let docs = cache.get(defs);
  if (docs) return docs;
  docs = new Map();
  const byGv = new Map<string, ResourceDef[]>();
  for (const def of defs) byGv.set(groupVersionPath(def), [...(byGv.get(groupVersionPath(def)) ?? []), def]);
  const index: Record<string, { serverRelativeURL: string }> = {};
  for (const [gv, list] of byGv) {
    const text = JSON.stringify(buildDocument(list, 'Kubernetes'));
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 32).toUpperCase();
    docs.set(`/openapi/v3/${gv}`, text);
    index[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  docs.set('/openapi/v3', JSON.stringify({ paths: index }));
  cache.set(defs, docs);
  return docs;
}

/** JSON text for an /openapi/... path, or undefined (404: kubectl then skips OpenAPI v2). */
export function openapiDocument(path: string, defs: ResourceDef[]): string | undefined {
  return documents(defs).get(path.replace(/\/$/, ''));
}
