// The store a run uses when its caller names none: the local state directory. The one place outside a backend's own
// folder that knows a backend (test/architecture.test.ts keeps src/engine away from src/store/local).

import type { FleetStore, RunStore } from './index.js';
import { createLocalFleetStore } from './local/fleets.js';
import { createLocalStore } from './local/index.js';
import type { KubernetesStore, KubernetesStoreOptions } from './kubernetes/index.js';
import type { KubernetesFleetStore } from './kubernetes/fleets.js';

/** `<stateDir>/runs/<runId>/` with journal.ndjson, run.json and owner.json. */
export function openDefaultStore(stateDir: string): RunStore {
  return createLocalStore(stateDir);
}

/** `<stateDir>/fleets/<fleetId>.json`: fleet runs beside the runs of their clusters. */
export function openDefaultFleetStore(stateDir: string): FleetStore {
  return createLocalFleetStore(stateDir);
}

/**
 * A namespace of a cluster (`--state kubernetes://NS`): src/store/kubernetes, loaded only when asked for. The CLI picks
 * it; the engine gets it as any RunStore.
 */
export async function openClusterStore(options: KubernetesStoreOptions): Promise<KubernetesStore> {
  return (await import('./kubernetes/index.js')).createKubernetesStore(options);
}

/** Fleet runs in a namespace of a cluster, beside their clusters' runs (`--state kubernetes://NS`). */
export async function openClusterFleetStore(options: Pick<KubernetesStoreOptions, 'kube' | 'namespace' | 'clock' | 'leaseMs'>): Promise<KubernetesFleetStore> {
  return (await import('./kubernetes/fleets.js')).createKubernetesFleetStore(options);
}
