// `k8s-apply`: server-side apply (field manager opsbook) of inline or file manifests; reports created/changed/unchanged.

import type { KubeClient, KubeObject } from '../../k8s/types.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext, PlanPreview, StepContext, StepType } from '../types.js';
import { describeChange } from './diff.js';
import { checkInlineManifests, loadManifests, type Manifest } from './manifests.js';
import { checkNamespaceName } from './names.js';
import { describeObject } from './target.js';
import { connectKube, kubeconfigProperty } from './kubeconfig.js';

export type ApplyAction = 'created' | 'changed' | 'unchanged';

export interface ApplyOutputs extends Record<string, unknown> {
  created: string[];
  changed: string[];
  unchanged: string[];
  objects: { apiVersion: string; kind: string; name: string; namespace?: string; action: ApplyAction; resourceVersion?: string }[];
}

/**
 * Presence of apiVersion, kind and metadata.name lives in the schema, not in check(): a key whose value is still a
 * `${{ }}` template (`name: crash-${{ inputs.tag }}`) is present, but check() never sees it at validation. The
 * values are checked by check() once known (validation for literals, plan and run for templates).
 */
const manifestItem = {
  type: 'object',
  required: ['apiVersion', 'kind'],
  // `kind: List` (as `kubectl get -o yaml` writes) stands for its items, each checked when loaded.
  if: { required: ['kind'], properties: { kind: { type: 'string', pattern: 'List$' } } },
  then: { required: ['items'] },
  else: { required: ['metadata'], properties: { metadata: { type: 'object', required: ['name'] } } },
} as const satisfies JsonSchema;

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'k8s-apply',
  description:
    'Server-side apply (like `kubectl apply --server-side --field-manager opsbook`) of manifests given inline or read from ' +
    'multi-document YAML files. Outputs which objects were created, changed or left unchanged.',
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['manifests'] }, { required: ['files'] }],
  properties: {
    ...kubeconfigProperty,
    manifests: {
      description: 'Objects to apply: a list of manifests, or YAML text (several documents separated by `---`).',
      oneOf: [{ type: 'array', items: manifestItem, minItems: 1 }, { type: 'string', minLength: 1 }],
    },
    files: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      description: 'YAML/JSON files (multi-document), relative to the runbook run directory.',
    },
    namespace: { type: 'string', minLength: 1, description: 'Namespace for namespaced objects that name none (default: the context\'s).' },
    force: { type: 'boolean', default: true, description: 'Take over fields another manager owns (`--force-conflicts`).' },
    fieldManager: { type: 'string', minLength: 1, maxLength: 128, default: 'opsbook', description: 'Server-side apply field manager.' },
  },
} as const satisfies JsonSchema;

/** `files` has no schema default (the anyOf needs its absence) but normalize fills it with [] so run reads one list. */
export type ApplyParams = ParamsFilled<typeof schema> & { files: string[] };

const PLAN_ACTION: Record<ApplyAction, string> = { created: 'create', changed: 'change', unchanged: 'none' };

function withNamespace(object: KubeObject, namespace: string | undefined): KubeObject {
  if (!namespace || object.metadata.namespace) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}

interface Outcome {
  manifest: Manifest;
  action: ApplyAction;
  result: KubeObject;
  changes: string[];
}

/** Applies (or dry-runs) one manifest and classifies the result against the live object read just before. */
async function applyOne(kube: KubeClient, m: Manifest, p: ApplyParams, dryRun: boolean, signal: AbortSignal): Promise<Outcome> {
  const { namespaced } = await kube.resolve(m.object.apiVersion!, m.object.kind!);
  const object = namespaced ? withNamespace(m.object, p.namespace ?? kube.defaultNamespace) : m.object;
  const ref = { apiVersion: object.apiVersion!, kind: object.kind!, name: object.metadata.name!, namespace: object.metadata.namespace };
  const live = await kube.get(ref, signal);
  const result = await kube.patch(ref, object, 'apply', { dryRun, force: p.force, fieldManager: p.fieldManager, signal });
  const changes = live ? describeChange(live, result) : [];
  const action: ApplyAction = !live ? 'created' : changes.length > 0 ? 'changed' : 'unchanged';
  return { manifest: { ...m, object }, action, result, changes };
}

function toOutputs(outcomes: Outcome[]): ApplyOutputs {
  const outputs: ApplyOutputs = { created: [], changed: [], unchanged: [], objects: [] };
  for (const o of outcomes) {
    const obj = o.manifest.object;
    outputs[o.action].push(describeObject(obj));
    outputs.objects.push({
      apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata.name!, namespace: obj.metadata.namespace,
      action: o.action, resourceVersion: o.result.metadata?.resourceVersion,
    });
  }
  return outputs;
}

export const k8sApply: StepType<ApplyParams, ApplyOutputs, ParamsInput<typeof schema>> = {
  type: 'k8s-apply',
  description: 'Server-side apply of Kubernetes manifests (inline or files); outputs created/changed/unchanged',
  schema,
  outputs: {
    created: { type: 'array', description: 'Objects that did not exist before (`kind/name -n ns`).' },
    changed: { type: 'array', description: 'Objects the apply changed.' },
    unchanged: { type: 'array', description: 'Objects already as applied.' },
    objects: { type: 'array', description: 'Every object with apiVersion, kind, name, namespace, action, resourceVersion.' },
  },
  mutating: true,
  check: (params) => [
    ...checkInlineManifests(params.manifests),
    ...(params.namespace === undefined ? [] : [checkNamespaceName(params.namespace)].flatMap((m) => (m ? [{ path: 'namespace', message: m }] : []))),
  ],
  normalize: (params) => ({ files: [], force: true, fieldManager: 'opsbook', ...params }),
  async run(p, ctx: StepContext) {
    const kube = await connectKube(p, ctx);
    const manifests = await loadManifests({ manifests: p.manifests, files: p.files, cwd: ctx.cwd });
    const outcomes: Outcome[] = [];
    for (const [i, m] of manifests.entries()) {
      ctx.progress(`applying ${describeObject(m.object)} (${i + 1}/${manifests.length})`);
      const outcome = await applyOne(kube, m, p, false, ctx.signal);
      ctx.log(`${describeObject(outcome.manifest.object)} ${outcome.action}`);
      outcomes.push(outcome);
    }
    return toOutputs(outcomes);
  },
  async plan(p, ctx: PlanContext): Promise<PlanPreview> {
    const kube = await connectKube(p, ctx);
    const manifests = await loadManifests({ manifests: p.manifests, files: p.files, cwd: ctx.cwd });
    const outcomes: Outcome[] = [];
    for (const m of manifests) outcomes.push(await applyOne(kube, m, p, true, ctx.signal));
    const count = (a: ApplyAction) => outcomes.filter((o) => o.action === a).length;
    return {
      summary: `would create ${count('created')}, change ${count('changed')}, leave ${count('unchanged')} unchanged`,
      tables: [{
        title: 'server-side apply (dry run)',
        columns: ['OBJECT', 'ACTION', 'CHANGES'],
        rows: outcomes.map((o) => [describeObject(o.manifest.object), PLAN_ACTION[o.action], o.action === 'created' ? '-' : String(o.changes.length)]),
      }],
      lines: outcomes.flatMap((o) => o.changes.map((line) => `${describeObject(o.manifest.object)}: ${line}`)),
    };
  },
};
