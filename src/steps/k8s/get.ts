// `k8s-get`: read one object or a list and output it, or a value computed from it with CEL.

import { StepError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext, PlanPreview, StepContext, StepType } from '../types.js';
import { checkExpressionParam, evaluateValue } from './cel.js';
import { maskSecret } from './secrets.js';
import { checkTarget, resolveTarget, targetProperties, targetRequirement, type ResolvedTarget } from './target.js';
import { connectKube, kubeconfigProperty } from './kubeconfig.js';

export interface GetOutputs extends Record<string, unknown> {
  found: boolean;
  object?: KubeObject;
  items?: KubeObject[];
  count: number;
  value?: unknown;
}

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'k8s-get',
  description:
    'Reads one object (with a name) or a list (without; filtered by labelSelector/fieldSelector) of any kind the server ' +
    'serves, and outputs it, or a value computed with CEL: `object.spec.clusterID` of `clusterversion/version`. ' +
    'Secret values are masked (`***`) so they never reach outputs or the journal.',
  type: 'object',
  additionalProperties: false,
  ...targetRequirement({ nameRequired: false }),
  properties: {
    ...targetProperties,
    ...kubeconfigProperty,
    labelSelector: { type: 'string', description: 'Label selector for a list, e.g. `app=etcd-defrag`.' },
    fieldSelector: { type: 'string', description: 'Field selector for a list, e.g. `spec.signerName=kubernetes.io/kubelet-serving`.' },
    value: { type: 'string', minLength: 1, description: 'CEL over `object` (one object) or `items` (a list); its result is output `value`.' },
    ignoreNotFound: { type: 'boolean', default: false, description: 'Output found=false instead of failing when the object does not exist.' },
  },
} as const satisfies JsonSchema;

export type GetParams = ParamsFilled<typeof schema>;

async function read(kube: KubeClient, p: GetParams, signal: AbortSignal): Promise<{ target: ResolvedTarget; outputs: GetOutputs }> {
  const target = await resolveTarget(kube, p, signal);
  if (target.name) {
    const object = maskSecret(await kube.get({ ...target, name: target.name }, signal));
    if (!object) {
      if (p.ignoreNotFound) return { target, outputs: { found: false, count: 0 } };
      throw new StepError(`${target.display} not found`, { errorClass: 'permanent' });
    }
    const outputs: GetOutputs = { found: true, object, count: 1 };
    if (p.value) outputs.value = evaluateValue(p.value, { object }, 'one object is read: use `object`');
    return { target, outputs };
  }
  const listed = await kube.list(target.apiVersion, target.kind, {
    namespace: target.namespace, labelSelector: p.labelSelector, fieldSelector: p.fieldSelector, signal,
  });
  const items = listed.items.map((item) => maskSecret(item));
  const outputs: GetOutputs = { found: items.length > 0, items, count: items.length };
  if (p.value) outputs.value = evaluateValue(p.value, { items }, 'a list (no name) is read: use `items`');
  return { target, outputs };
}

export const k8sGet: StepType<GetParams, GetOutputs, ParamsInput<typeof schema>> = {
  type: 'k8s-get',
  description: 'Read a Kubernetes object or list (any kind) and output it or a CEL value computed from it',
  schema,
  outputs: {
    found: { type: 'boolean', description: 'The object exists (one object) or the list is not empty.' },
    object: { type: 'object', description: 'The object (when a name was given and it exists).' },
    items: { type: 'array', description: 'The listed objects (when no name was given).' },
    count: { type: 'integer', description: 'Number of objects read.' },
    value: { type: 'any', description: 'Result of the `value` CEL expression.' },
  },
  mutating: false,
  check(params) {
    const p = params as Partial<GetParams>;
    const single = p.name !== undefined || (typeof p.resource === 'string' && p.resource.includes('/'));
    const list = p.labelSelector !== undefined || p.fieldSelector !== undefined;
    const issues = checkTarget(p);
    if (single && list) issues.push({ path: 'labelSelector', message: 'selectors apply to lists; drop the name to list' });
    // a templated name is left out of params, so "no name" does not prove a list
    issues.push(...checkExpressionParam('value', p.value, single ? ['object'] : list ? ['items'] : ['object', 'items']));
    return issues;
  },
  normalize: (params) => ({ ignoreNotFound: false, ...params }),
  async run(p, ctx: StepContext) {
    const kube = await connectKube(p, ctx);
    const { target, outputs } = await read(kube, p, ctx.signal);
    ctx.progress(target.name ? `read ${target.display}` : `listed ${outputs.count} ${target.display}`);
    return outputs;
  },
  async plan(p, ctx: PlanContext): Promise<PlanPreview> {
    const kube = await connectKube(p, ctx);
    const { target, outputs } = await read(kube, p, ctx.signal);
    const what = target.name ? (outputs.found ? 'exists' : 'not found') : `${outputs.count} objects`;
    const value = p.value && outputs.value !== undefined ? `; value = ${JSON.stringify(outputs.value)}` : '';
    return { summary: `reads ${target.display} (${what}${value})` };
  },
};
