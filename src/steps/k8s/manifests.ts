// Loads manifests for k8s-apply: inline objects, inline YAML text, or multi-document YAML files; errors say which one.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StepError } from '../../errors.js';
import type { KubeObject } from '../../k8s/types.js';
import { parseYamlDocuments } from '../../yaml/index.js';
import type { ParamIssue } from '../types.js';
import { checkNamespaceName, checkObjectName } from './names.js';

export interface Manifest {
  object: KubeObject;
  /** Where it came from, for messages: `manifests[1]`, `files[0] (dir/app.yaml) document 2`. */
  origin: string;
}

/** A problem with one document: `field` is where inside it (none for the document as a whole). */
export interface ManifestProblem {
  field?: string;
  message: string;
}

/**
 * Problems with one document, or none. `presence: false` checks only the values written: at validation a key whose
 * value is still a `${{ }}` template is left out, so the schema checks presence for inline lists instead.
 */
export function checkManifest(doc: unknown, options: { presence: boolean } = { presence: true }): ManifestProblem | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { message: 'must be a Kubernetes object (a mapping)' };
  const o = doc as Partial<KubeObject>;
  const { presence } = options;
  if ((presence || o.apiVersion !== undefined) && (typeof o.apiVersion !== 'string' || !o.apiVersion)) return { message: 'apiVersion is missing' };
  if ((presence || o.kind !== undefined) && (typeof o.kind !== 'string' || !o.kind)) return { message: 'kind is missing' };
  const metadata = (o.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  if (presence && metadata.name === undefined) return { message: `${o.kind}: metadata.name is missing (server-side apply needs a name)` };
  if (metadata.name !== undefined && typeof o.apiVersion === 'string') {
    const problem = checkObjectName(metadata.name, o.apiVersion);
    if (problem) return { field: 'metadata.name', message: `${o.kind ?? 'object'} name ${problem}` };
  }
  if (metadata.namespace !== undefined) {
    const problem = checkNamespaceName(metadata.namespace);
    if (problem) return { field: 'metadata.namespace', message: `${o.kind ?? 'object'} namespace ${problem}` };
  }
  return undefined;
}

function formatProblem(origin: string, problem: ManifestProblem): string {
  return `${origin}: ${problem.field ? `${problem.field}: ` : ''}${problem.message}`;
}

// `kind: List` documents (as `kubectl get -o yaml` writes them) stand for their items.
function flatten(docs: unknown[]): unknown[] {
  return docs.flatMap((d) => {
    const o = d as { kind?: unknown; items?: unknown };
    return o && typeof o === 'object' && typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items) ? o.items : [d];
  }).filter((d) => d !== null && d !== undefined);
}

function collect(docs: unknown[], originOf: (i: number) => string): Manifest[] {
  return flatten(docs).map((doc, i) => {
    const problem = checkManifest(doc);
    if (problem) throw new StepError(formatProblem(originOf(i), problem), { errorClass: 'permanent' });
    return { object: doc as KubeObject, origin: originOf(i) };
  });
}

/** Static checks of inline manifests (files are read at run time). */
export function checkInlineManifests(manifests: unknown): ParamIssue[] {
  if (typeof manifests === 'string') {
    try {
      collect(parseYamlDocuments(manifests, 'manifests'), (i) => `document ${i + 1}`);
      return [];
    } catch (error) {
      return [{ path: 'manifests', message: (error as Error).message }];
    }
  }
  if (!Array.isArray(manifests)) return [];
  return flatten(manifests).flatMap((doc, i) => {
    const problem = checkManifest(doc, { presence: false });
    return problem ? [{ path: `manifests[${i}]${problem.field ? `.${problem.field}` : ''}`, message: problem.message }] : [];
  });
}

/** Every manifest, inline first then files in order; Namespaces and CRDs first so what depends on them applies. */
export async function loadManifests(options: { manifests?: unknown; files?: string[]; cwd: string }): Promise<Manifest[]> {
  const out: Manifest[] = [];
  const { manifests, files = [], cwd } = options;
  if (typeof manifests === 'string') {
    out.push(...collect(parseYamlDocuments(manifests, 'manifests'), (i) => `manifests document ${i + 1}`));
  } else if (Array.isArray(manifests)) {
    out.push(...collect(manifests, (i) => `manifests[${i}]`));
  }
  for (const [index, file] of files.entries()) {
    const path = resolve(cwd, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new StepError(`files[${index}]: cannot read ${file}: ${(error as Error).message}`, { errorClass: 'permanent', cause: error });
    }
    out.push(...collect(parseYamlDocuments(text, file), (i) => `files[${index}] (${file}) document ${i + 1}`));
  }
  const rank = (m: Manifest) => (m.object.kind === 'Namespace' ? 0 : m.object.kind === 'CustomResourceDefinition' ? 1 : 2);
  return out.map((m, i) => ({ m, i })).sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i).map(({ m }) => m);
}
