// A 409 storm for the cluster store tests: a real client whose ConfigMap replaces meet real conflicts and lost answers.

import { StepError } from '../../src/errors.js';
import { isConflict } from '../../src/k8s/index.js';
import type { KubeClient, KubeObject } from '../../src/k8s/types.js';

export interface Storm {
  kube: KubeClient;
  /** Replaces that met a 409, and that landed but answered 503: a test checks the storm hit the writer at all. */
  conflicts: number;
  lostAnswers: number;
}

/**
 * `kube`, except that before two of every three ConfigMap replaces `other` (another client) changes that ConfigMap,
 * so the writer's PUT meets a real 409, and every `loseEvery`-th replace lands but its answer is replaced by a 503,
 * as a cut connection would.
 */
export function stormyClient(kube: KubeClient, other: KubeClient, namespace: string, loseEvery: number): Storm {
  let calls = 0;
  const storm: Storm = {
    conflicts: 0,
    lostAnswers: 0,
    kube: new Proxy(kube, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key !== 'replace') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<typeof target.replace>) => {
          const n = ++calls;
          const object = args[0];
          if (object.kind === 'ConfigMap' && n % 3 !== 0) {
            const fresh = (await other.get<KubeObject>({ apiVersion: 'v1', kind: 'ConfigMap', name: object.metadata.name!, namespace }))!;
            await other.replace({ ...fresh, metadata: { ...fresh.metadata, annotations: { ...fresh.metadata.annotations, touched: String(n) } } });
          }
          try {
            const result = await target.replace(...args);
            if (n % loseEvery === 0) {
              storm.lostAnswers++;
              throw new StepError('update configmaps: Service Unavailable (503)', { errorClass: 'transient' });
            }
            return result;
          } catch (error) {
            if (isConflict(error)) storm.conflicts++;
            throw error;
          }
        };
      },
    }),
  };
  return storm;
}
