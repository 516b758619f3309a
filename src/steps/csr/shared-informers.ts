// One list+watch per resource for a whole run, not per step: consecutive CSR steps share the informers of the
// same client, and an informer no step uses is stopped after a short idle time.

import type { Informer, KubeClient, KubeObject } from '../../k8s/types.js';

/**
 * Long enough for the next step of a runbook to pick the informer up (the engine starts it within milliseconds);
 * short enough that a finished run's process exits promptly. A miss only costs a fresh list.
 */
const IDLE_MS = 500;

interface Entry {
  informer: Informer;
  refs: number;
  idle?: ReturnType<typeof setTimeout>;
}

const byClient = new WeakMap<KubeClient, Map<string, Entry>>();

export interface InformerLease {
  informer: Informer;
  release(): void;
}

/** `transform` reduces what the cache keeps; every lease of one resource shares the first lease's. */
export function acquireInformer(
  kube: KubeClient,
  apiVersion: string,
  kind: string,
  namespace?: string,
  transform?: (object: KubeObject) => KubeObject,
): InformerLease {
  let entries = byClient.get(kube);
  if (!entries) byClient.set(kube, (entries = new Map()));
  const key = `${apiVersion}/${kind}/${namespace ?? ''}`;
  let entry = entries.get(key);
  if (!entry) {
    const created: Entry = { informer: kube.informer(apiVersion, kind, { ...(namespace ? { namespace } : {}), ...(transform ? { transform } : {}) }), refs: 0 };
    // A failed first list must not be handed to the next step: drop it so that step lists afresh.
    created.informer.ready().catch(() => {
      if (entries.get(key) === created) entries.delete(key);
    });
    entries.set(key, created);
    entry = created;
  }
  const lease = entry;
  if (lease.idle) clearTimeout(lease.idle);
  lease.idle = undefined;
  lease.refs += 1;
  let released = false;
  return {
    informer: lease.informer,
    release() {
      if (released) return;
      released = true;
      lease.refs -= 1;
      if (lease.refs > 0) return;
      lease.idle = setTimeout(() => {
        if (lease.refs > 0) return;
        lease.informer.stop();
        if (entries.get(key) === lease) entries.delete(key);
      }, IDLE_MS);
      lease.idle.unref?.();
    },
  };
}
