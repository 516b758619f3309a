// `k8s-wait`: like `kubectl wait`, for any CEL condition, one object or every/any object a selector matches; watch-based.

import type { KubeObject } from '../../k8s/types.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext, PlanPreview, StepContext, StepType } from '../types.js';
import { checkExpressionParam, evaluateCondition, summarizeState } from './cel.js';
import { maskSecret } from './secrets.js';
import { checkTarget, describeObject, resolveTarget, targetProperties, targetRequirement } from './target.js';
import { watchUntil, type Verdict } from './watch-until.js';
import { connectKube, kubeconfigProperty } from './kubeconfig.js';

export interface WaitOutputs extends Record<string, unknown> {
  /** The object that satisfied the condition (single-object waits). */
  object?: KubeObject;
  /** Objects matching at the end (selector waits). */
  items: KubeObject[];
  /** Names of the objects satisfying the condition. */
  matched: string[];
}

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'k8s-wait',
  description:
    'Waits, watching (not polling), until a CEL `condition` over `object` holds for one object, or for every (`for: all`) ' +
    'or any (`for: any`) object a selector matches — or, with `deleted: true`, until the object is gone. ' +
    "Example: `object.status.conditions.exists(c, c.type == 'Available' && c.status == 'True')`.",
  type: 'object',
  additionalProperties: false,
  ...targetRequirement({ nameRequired: false }),
  properties: {
    ...targetProperties,
    ...kubeconfigProperty,
    labelSelector: { type: 'string', description: 'Wait on every object matching this label selector (no name).' },
    fieldSelector: { type: 'string', description: 'Wait on every object matching this field selector (no name).' },
    condition: { type: 'string', minLength: 1, description: 'CEL over `object` that must become true.' },
    for: { enum: ['all', 'any'], default: 'all', description: 'With a selector: all matching objects (at least one) or any one.' },
    minCount: {
      type: 'integer', minimum: 1, default: 1,
      description: 'With a selector: how many objects must match (`all`: exist, every one satisfying; `any`: satisfy), e.g. 3 nodes.',
    },
    deleted: { type: 'boolean', default: false, description: 'Wait until the object (every matching object) no longer exists.' },
  },
  // condition is required unless deleted: true
  if: { properties: { deleted: { const: true } }, required: ['deleted'] },
  else: { required: ['condition'] },
} as const satisfies JsonSchema;

// if/else is not parsed into the type (json-schema-to-ts's default): `condition` stays optional, run checks `deleted` first.
export type WaitParams = ParamsFilled<typeof schema>;

function nameOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : String(o.metadata.name);
}

/** Judges the current objects against the step's parameters. */
export function judgeWait(p: WaitParams, single: boolean, items: KubeObject[]): Verdict & { matched: KubeObject[] } {
  if (p.deleted) {
    const left = items.map(nameOf);
    return { done: items.length === 0, matched: [], detail: left.length === 0 ? 'deleted' : `still present: ${left.join(', ')}` };
  }
  const results = items.map((o) => ({ o, ...evaluateCondition(p.condition!, o) }));
  const matched = results.filter((r) => r.ok).map((r) => r.o);
  if (single) {
    const r = results[0];
    if (!r) return { done: false, matched, detail: 'does not exist yet' };
    return { done: r.ok, matched, detail: `${r.ok ? 'condition met' : 'condition false'}: ${r.why ?? summarizeState(r.o)}` };
  }
  const pending = results.filter((r) => !r.ok).map((r) => nameOf(r.o));
  const min = p.minCount ?? 1;
  const done = p.for === 'any' ? matched.length >= min : items.length >= min && pending.length === 0;
  if (items.length === 0) return { done, matched, detail: 'no matching objects yet' };
  const want = (p.for === 'any' ? matched.length : items.length) < min ? `, want ${min}` : '';
  const shown = pending.slice(0, 5).join(', ') + (pending.length > 5 ? `, +${pending.length - 5} more` : '');
  return { done, matched, detail: `${matched.length}/${items.length} match${want}${pending.length ? ` (waiting for ${shown})` : ''}` };
}

export const k8sWait: StepType<WaitParams, WaitOutputs, ParamsInput<typeof schema>> = {
  type: 'k8s-wait',
  description: 'Wait (watch-based) until a CEL condition holds for an object or for all/any objects a selector matches, or until deleted',
  schema,
  outputs: {
    object: { type: 'object', description: 'The object as it was when the condition held (single-object waits).' },
    items: { type: 'array', description: 'The matching objects when the wait ended.' },
    matched: { type: 'array', description: 'Names (namespace/name) of the objects that satisfied the condition.' },
  },
  mutating: false,
  check(params) {
    const p = params as Partial<WaitParams>;
    const single = p.name !== undefined || (typeof p.resource === 'string' && p.resource.includes('/'));
    const issues = checkTarget(p);
    if (single && (p.labelSelector !== undefined || p.fieldSelector !== undefined)) {
      issues.push({ path: 'labelSelector', message: 'give a name or a selector, not both' });
    }
    if (p.deleted === true && p.condition !== undefined) issues.push({ path: 'condition', message: 'not used with deleted: true' });
    if (single && p.minCount !== undefined) issues.push({ path: 'minCount', message: 'applies to selector waits; drop the name' });
    issues.push(...checkExpressionParam('condition', p.condition, ['object']));
    return issues;
  },
  normalize: (params) => ({ for: 'all', deleted: false, minCount: 1, ...params }),
  async run(p, ctx: StepContext) {
    const kube = await connectKube(p, ctx);
    const target = await resolveTarget(kube, p, ctx.signal);
    const single = target.name !== undefined;
    const selectors = [p.labelSelector && `-l ${p.labelSelector}`, p.fieldSelector && `--field-selector ${p.fieldSelector}`].filter(Boolean);
    const subject = single ? target.display : `${p.deleted ? 'every' : p.for === 'all' ? 'every' : 'any'} ${[target.display, ...selectors].join(' ')}`;
    const what = p.deleted ? 'to be deleted' : `to satisfy \`${p.condition}\``;
    let lastMatched: KubeObject[] = [];
    const items = await watchUntil(
      kube, target, { labelSelector: p.labelSelector, fieldSelector: p.fieldSelector },
      (current) => {
        const verdict = judgeWait(p, single, current);
        lastMatched = verdict.matched;
        return verdict;
      },
      ctx,
      `waiting for ${subject} ${what}`,
    );
    const masked = items.map((item) => maskSecret(item));
    return { object: single ? masked[0] : undefined, items: masked, matched: lastMatched.map(nameOf) };
  },
  async plan(p, ctx: PlanContext): Promise<PlanPreview> {
    const kube = await connectKube(p, ctx);
    const target = await resolveTarget(kube, p, ctx.signal);
    const single = target.name !== undefined;
    const items = single
      ? [await kube.get({ ...target, name: target.name }, ctx.signal)].filter((o): o is KubeObject => !!o)
      : (await kube.list(target.apiVersion, target.kind, { namespace: target.namespace, labelSelector: p.labelSelector, fieldSelector: p.fieldSelector, signal: ctx.signal })).items;
    const verdict = judgeWait(p, single, items);
    return {
      summary: `waits for ${target.display} ${p.deleted ? 'to be deleted' : `until \`${p.condition}\``} — now: ${verdict.done ? 'already satisfied' : verdict.detail}`,
      lines: items.slice(0, 20).map((o) => `${describeObject(o)}: ${summarizeState(o)}`),
    };
  },
};
