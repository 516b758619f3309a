// Where the API server finds a pod's log and whether a kubelet runs a pod's containers: the pod runner registers itself per API core
// (the server does not start it).

import type { ApiCore } from '../api/core.js';

export interface PodLogSource {
  log(namespace: string, name: string): string | undefined;
  follow(namespace: string, name: string, onText: (text: string) => void, onEnd: () => void): () => void;
  /** The grace period (ms) a deleted pod's running containers get before SIGKILL; undefined when none runs (then it is removed at once). */
  terminationGraceMs(namespace: string, name: string): number | undefined;
}

const sources = new WeakMap<ApiCore, PodLogSource>();

export function registerPodLogs(core: ApiCore, source: PodLogSource): () => void {
  sources.set(core, source);
  return () => {
    if (sources.get(core) === source) sources.delete(core);
  };
}

/** undefined when no pod runner serves this cluster: the pod exists but has never run anything here. */
export function podLogsFor(core: ApiCore): PodLogSource | undefined {
  return sources.get(core);
}
