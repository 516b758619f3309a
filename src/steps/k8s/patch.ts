// `k8s-patch`: a merge (default), JSON or strategic merge patch of one object; sends nothing when it would change nothing.

import { StepError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import { parseYamlDocuments } from '../../yaml/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext, PlanPreview, StepContext, StepType } from '../types.js';
import { describeChange } from './diff.js';
import { maskSecret } from './secrets.js';
import { checkTarget, requireName, resolveTarget, targetProperties, targetRequirement } from './target.js';
import { connectKube, kubeconfigProperty } from './kubeconfig.js';

export interface PatchOutputs extends Record<string, unknown> {
  object: KubeObject;
  changed: boolean;
  /** One line per changed field. */
  changes: string[];
}

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'k8s-patch',
  description:
    'Patches one object of any kind: `merge` (RFC 7386, default), `json` (RFC 6902 operations) or `strategic` ' +
    '(Kubernetes strategic merge). Checks with a server-side dry run first and sends nothing when the object is already as asked.',
  type: 'object',
  additionalProperties: false,
  required: ['patch'],
  ...targetRequirement({ nameRequired: true }),
  properties: {
    ...targetProperties,
    ...kubeconfigProperty,
    patch: {
      description: 'The patch: an object (merge/strategic), a list of operations (json), or the same written as a YAML/JSON string.',
      type: ['object', 'array', 'string'],
    },
    type: { enum: ['merge', 'json', 'strategic'], default: 'merge', description: 'Patch type.' },
  },
} as const satisfies JsonSchema;

export type PatchParams = ParamsFilled<typeof schema>;

/** A string patch is YAML or JSON text (like `kubectl patch -p`). */
function parsePatch(patch: unknown): unknown {
  if (typeof patch !== 'string') return patch;
  const docs = parseYamlDocuments(patch, 'patch');
  if (docs.length !== 1) throw new StepError(`patch: expected one YAML/JSON document, got ${docs.length}`);
  return docs[0];
}

/** Dry run first: the server computes the result, so the step knows whether the real patch would change anything. */
async function preview(kube: KubeClient, p: PatchParams, signal: AbortSignal) {
  const target = requireName(await resolveTarget(kube, p, signal));
  const ref = { ...target };
  const patch = parsePatch(p.patch);
  const live = await kube.get(ref, signal);
  if (!live) throw new StepError(`${target.display} not found`, { errorClass: 'permanent' });
  const dry = await kube.patch(ref, patch, p.type, { dryRun: true, signal });
  return { target, ref, patch, live, changes: describeChange(live, dry) };
}

export const k8sPatch: StepType<PatchParams, PatchOutputs, ParamsInput<typeof schema>> = {
  type: 'k8s-patch',
  description: 'Patch one Kubernetes object (merge, json or strategic); no request is sent when nothing would change',
  schema,
  outputs: {
    object: { type: 'object', description: 'The object after the patch (or as it was, when unchanged).' },
    changed: { type: 'boolean', description: 'The patch changed the object.' },
    changes: { type: 'array', description: 'One line per changed field, e.g. `spec.replicas: 3 → 1`.' },
  },
  mutating: true,
  check(params) {
    const p = params as Partial<PatchParams>;
    const issues = checkTarget(p);
    const type = p.type ?? 'merge';
    if (type === 'json' && p.patch !== undefined && typeof p.patch === 'object' && !Array.isArray(p.patch)) {
      issues.push({ path: 'patch', message: 'a json patch is a list of operations ({op, path, value})' });
    }
    if (type !== 'json' && Array.isArray(p.patch)) {
      issues.push({ path: 'patch', message: `a ${type} patch is an object; use type: json for a list of operations` });
    }
    if (typeof p.patch === 'string') {
      try {
        parsePatch(p.patch);
      } catch (error) {
        issues.push({ path: 'patch', message: (error as Error).message });
      }
    }
    return issues;
  },
  normalize: (params) => ({ type: 'merge', ...params }),
  async run(p, ctx: StepContext) {
    const kube = await connectKube(p, ctx);
    const { target, ref, patch, live, changes } = await preview(kube, p, ctx.signal);
    if (changes.length === 0) {
      ctx.log(`${target.display} already as patched; nothing sent`);
      return { object: maskSecret(live), changed: false, changes };
    }
    const object = await kube.patch(ref, patch, p.type, { signal: ctx.signal });
    for (const line of changes) ctx.log(`${target.display}: ${line}`);
    return { object: maskSecret(object), changed: true, changes };
  },
  async plan(p, ctx: PlanContext): Promise<PlanPreview> {
    const kube = await connectKube(p, ctx);
    const { target, changes } = await preview(kube, p, ctx.signal);
    return {
      summary: changes.length === 0 ? `${target.display}: no change` : `would patch ${target.display} (${changes.length} field${changes.length === 1 ? '' : 's'})`,
      lines: changes,
    };
  },
};
