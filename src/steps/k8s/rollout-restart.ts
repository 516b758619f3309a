// `k8s-rollout-restart`: the patch `kubectl rollout restart` sends, then the wait `kubectl rollout status` does.

import { StepError } from '../../errors.js';
import type { KubeObject } from '../../k8s/types.js';
import { formatKubeTime } from '../../k8s/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext, PlanPreview, StepContext, StepType } from '../types.js';
import { judgeRollout, ROLLOUT_KINDS, type RolloutKind } from './rollout-status.js';
import { checkTarget, requireName, resolveTarget, targetProperties, targetRequirement, type ResolvedTarget, type TargetParams } from './target.js';
import { watchUntil } from './watch-until.js';
import { connectKube, kubeconfigProperty } from './kubeconfig.js';

export interface RolloutRestartOutputs extends Record<string, unknown> {
  restartedAt: string;
  generation: number;
  /** Last rollout status line, e.g. `daemon set "etcd-defrag" successfully rolled out`. */
  status: string;
}

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'k8s-rollout-restart',
  description:
    'Restarts a Deployment, DaemonSet or StatefulSet the way `kubectl rollout restart` does (the restartedAt pod template ' +
    'annotation), then waits like `kubectl rollout status` until the rollout completes. A retry of the same run and step ' +
    'does not restart again (the object is marked opsbook.dev/restarted-by); it waits for the rollout already started.',
  type: 'object',
  additionalProperties: false,
  ...targetRequirement({ nameRequired: true }),
  properties: {
    ...targetProperties,
    ...kubeconfigProperty,
    kind: { enum: [...ROLLOUT_KINDS], description: 'Deployment, DaemonSet or StatefulSet.' },
    apiVersion: { type: 'string', const: 'apps/v1', description: 'apps/v1.' },
    wait: { type: 'boolean', default: true, description: 'Wait for the rollout to complete (`kubectl rollout status`).' },
  },
} as const satisfies JsonSchema;

export type RolloutRestartParams = ParamsFilled<typeof schema>;

/** Marks which run/step restarted the workload (object metadata: no rollout of its own), so a retry only waits. */
export const RESTARTED_BY = 'opsbook.dev/restarted-by';

function restartPatch(at: string, by: string) {
  return { metadata: { annotations: { [RESTARTED_BY]: by } }, spec: { template: { metadata: { annotations: { [RESTARTED_AT]: at } } } } };
}

interface Workload extends KubeObject {
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
}

function rolloutKind(target: ResolvedTarget): RolloutKind {
  if (target.apiVersion === 'apps/v1' && (ROLLOUT_KINDS as readonly string[]).includes(target.kind)) return target.kind as RolloutKind;
  throw new StepError(`${target.display}: rollout restart works on apps/v1 ${ROLLOUT_KINDS.join(', ')} (got ${target.apiVersion} ${target.kind})`);
}

export const k8sRolloutRestart: StepType<RolloutRestartParams, RolloutRestartOutputs, ParamsInput<typeof schema>> = {
  type: 'k8s-rollout-restart',
  description: 'Restart a Deployment/DaemonSet/StatefulSet like `kubectl rollout restart` and wait for the rollout to complete',
  schema,
  outputs: {
    restartedAt: { type: 'string', description: 'The kubectl.kubernetes.io/restartedAt value set (RFC 3339).' },
    generation: { type: 'integer', description: 'metadata.generation after the restart patch.' },
    status: { type: 'string', description: 'The last rollout status line.' },
  },
  mutating: true,
  check: (params) => checkTarget(params as TargetParams),
  normalize: (params) => ({ wait: true, ...params }),
  async run(p, ctx: StepContext) {
    const kube = await connectKube(p, ctx);
    const target = requireName(await resolveTarget(kube, p, ctx.signal));
    const kind = rolloutKind(target);
    const ref = { ...target };
    const by = `${ctx.runId}/${ctx.stepId}`;
    const live = await kube.get<Workload>(ref, ctx.signal);
    if (!live) throw new StepError(`${target.display} not found`, { errorClass: 'permanent' });
    let restartedAt = live.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
    let generation = live.metadata.generation ?? 0;
    if (live.metadata.annotations?.[RESTARTED_BY] === by && restartedAt) {
      ctx.log(`${target.display} was already restarted by this step at ${restartedAt}; waiting for that rollout`);
    } else {
      restartedAt = formatKubeTime(ctx.clock.now());
      const patched = await kube.patch(ref, restartPatch(restartedAt, by), 'strategic', { signal: ctx.signal });
      generation = patched.metadata.generation ?? 0;
      ctx.log(`${target.display} restarted (${RESTARTED_AT}=${restartedAt})`);
    }
    if (!p.wait) return { restartedAt, generation, status: 'restart requested' };
    let status = '';
    await watchUntil(kube, target, {}, (items: KubeObject[]) => {
      const verdict = judgeRollout(kind, items[0]);
      status = verdict.detail;
      return verdict;
    }, ctx, `waiting for the rollout of ${target.display}`);
    return { restartedAt, generation, status };
  },
  async plan(p, ctx: PlanContext): Promise<PlanPreview> {
    const kube = await connectKube(p, ctx);
    const target = requireName(await resolveTarget(kube, p, ctx.signal));
    const kind = rolloutKind(target);
    const live = await kube.get({ ...target }, ctx.signal);
    if (!live) throw new StepError(`${target.display} not found`, { errorClass: 'permanent' });
    const at = formatKubeTime(ctx.clock.now());
    await kube.patch({ ...target }, restartPatch(at, `${ctx.runId}/${ctx.stepId}`), 'strategic', { dryRun: true, signal: ctx.signal });
    return {
      summary: `would restart ${target.display}${p.wait ? ' and wait for the rollout' : ''}`,
      lines: [`spec.template.metadata.annotations["${RESTARTED_AT}"] → ${at}`, `current rollout: ${judgeRollout(kind, live).detail}`],
    };
  },
};
