// Loads manifests for k8s-apply: inline objects, inline YAML text, or multi-document YAML files; errors say which one.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StepError } from '../../errors.js';
import type { KubeObject } from '../../k8s/types.js';
import { parseYamlDocuments } from '../../runbook/yaml.js';
import type { ParamIssue } from '../types.js';

export interface Manifest {
  object: KubeObject;
  /** Where it came from, for messages: `manifests[1]`, `files[0] (dir/app.yaml) document 2`. */
  origin: string;
}

/** Problems with one document, or none. */
export function checkManifest(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'must be a Kubernetes object (a mapping)';
  const o = doc as Partial<KubeObject>;
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) return 'apiVersion is missing';
  if (typeof o.kind !== 'string' || !o.kind) return 'kind is missing';
  if (typeof o.metadata?.name !== 'string' || !o.metadata.name) return `${o.kind}: metadata.name is missing (server-side apply needs a name)`;
  return undefined;
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
    if (problem) throw new StepError(`${originOf(i)}: ${problem}`, { errorClass: 'permanent' });
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
    const problem = checkManifest(doc);
    return problem ? [{ path: `manifests[${i}]`, message: problem }] : [];
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
