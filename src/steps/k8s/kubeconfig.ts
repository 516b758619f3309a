// The optional `kubeconfig` parameter of the k8s steps: act on a cluster other than the run's — e.g. the one whose
// kubeconfig an earlier step just wrote — by path.

import { isAbsolute, resolve } from 'node:path';
import type { KubeClient } from '../../k8s/types.js';
import type { ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanContext } from '../types.js';

export const kubeconfigProperty = {
  kubeconfig: {
    type: 'string',
    minLength: 1,
    description:
      'Act on the cluster of this kubeconfig file (its current-context; relative to the working directory, `~/` = home) ' +
      'instead of the run\'s cluster, e.g. `${{ steps.refresh-kubeconfig.outputs.path }}`.',
  },
} as const satisfies Record<string, JsonSchema>;

/** A kubeconfig file on this machine; absent = the run's cluster (`--kubeconfig`). */
export type KubeconfigParam = ParamsInput<{ type: 'object'; additionalProperties: false; properties: typeof kubeconfigProperty }>;

/** The client for `p.kubeconfig` when given, else the run's; one per step call, nothing sent until used. */
export async function connectKube(p: KubeconfigParam, ctx: Pick<PlanContext, 'kube' | 'openKube' | 'cwd' | 'env'>): Promise<KubeClient> {
  if (p.kubeconfig === undefined || p.kubeconfig === '') return ctx.kube();
  const home = ctx.env.HOME;
  const path = p.kubeconfig.startsWith('~/') && home ? `${home}${p.kubeconfig.slice(1)}` : p.kubeconfig;
  // Through the context, the steps' only door to clusters: the engine decides how a client is built.
  return ctx.openKube(isAbsolute(path) ? path : resolve(ctx.cwd, path));
}
