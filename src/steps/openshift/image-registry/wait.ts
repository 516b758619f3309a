// Waits for the image-registry ClusterOperator to settle after a config change, watching both the config and the operator.

import { StepError } from '../../../errors.js';
import type { KubeClient, KubeObject } from '../../../k8s/types.js';
import { formatDurationHuman } from '../../../time/duration.js';
import type { StepContext } from '../../types.js';
import { computeGiveUpAt, createChangeFeed } from '../change-feed.js';
import {
  describeUnsettled,
  formatOperatorTable,
  isSettled,
  missingOperatorState,
  readOperatorState,
  type OperatorState,
} from '../operator-state.js';
import { CLUSTER_OPERATOR, REGISTRY_CONFIG, REGISTRY_OPERATOR } from '../resources.js';

/**
 * Whether the operator has acted on our generation of the config. Before that, the ClusterOperator may still show the
 * old settled state (e.g. "removed, Available"), which must not be mistaken for done. Configs without
 * status.observedGeneration (older operators) are taken as observed.
 */
function hasObserved(config: KubeObject | undefined, generation: number | undefined): boolean {
  if (!config || generation === undefined) return true;
  const observed = (config.status as { observedGeneration?: unknown } | undefined)?.observedGeneration;
  return typeof observed !== 'number' || observed >= generation;
}

function findByName(items: KubeObject[], name: string): KubeObject | undefined {
  return items.find((o) => o.metadata.name === name);
}

/**
 * Resolves with the operator's settled state. Degraded=True is tolerated for `graceMs` (an operator may report it
 * briefly while its deployment rolls out); if it lasts longer the step fails with the operator's own message.
 */
export async function waitForRegistryOperator(
  kube: KubeClient,
  ctx: StepContext,
  generation: number | undefined,
  graceMs: number,
): Promise<OperatorState> {
  const started = ctx.clock.now();
  const giveUpAt = computeGiveUpAt(ctx.deadline, started);
  const operators = kube.informer(CLUSTER_OPERATOR.apiVersion, CLUSTER_OPERATOR.kind, { signal: ctx.signal });
  const configs = kube.informer(REGISTRY_CONFIG.apiVersion, REGISTRY_CONFIG.kind, { signal: ctx.signal });
  const feed = createChangeFeed([operators, configs]);
  let degradedSince: number | undefined;
  try {
    await Promise.all([operators.ready(), configs.ready()]);
    for (;;) {
      const now = ctx.clock.now();
      const co = findByName(operators.items(), REGISTRY_OPERATOR);
      const state = co ? readOperatorState(co) : missingOperatorState(REGISTRY_OPERATOR);
      const observed = hasObserved(findByName(configs.items(), REGISTRY_CONFIG.name!), generation);
      if (observed && isSettled(state)) return state;
      degradedSince = observed && state.degraded.status === 'True' ? (degradedSince ?? now) : undefined;
      if (degradedSince !== undefined && now - degradedSince >= graceMs) {
        const why = [state.degraded.reason, state.degraded.message].filter(Boolean).join(': ') || 'no message';
        ctx.report(formatOperatorTable('image-registry operator', [state], ctx.clock.now()));
        throw new StepError(`image-registry operator is Degraded for ${formatDurationHuman(now - degradedSince)}: ${why}`, {
          errorClass: 'permanent',
          details: { operator: state },
        });
      }
      ctx.progress(
        !co
          ? 'waiting for ClusterOperator image-registry to appear'
          : !observed
            ? `waiting for the operator to pick up generation ${generation}`
            : describeUnsettled(state),
      );
      const wakeAt = Math.min(giveUpAt, degradedSince !== undefined ? degradedSince + graceMs : Infinity);
      if ((await feed.next(ctx.clock, wakeAt, ctx.signal)) === 'time' && ctx.clock.now() >= giveUpAt) {
        ctx.report(formatOperatorTable('image-registry operator', [state], ctx.clock.now()));
        throw new StepError(
          `image-registry operator did not settle within ${formatDurationHuman(ctx.clock.now() - started)}: ${describeUnsettled(state)}`,
          { errorClass: 'timeout', details: { operator: state } },
        );
      }
    }
  } finally {
    feed.close();
    operators.stop();
    configs.stop();
  }
}
