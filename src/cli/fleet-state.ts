// Where a fleet run is kept, as --state/--state-dir say: the state directory, or a namespace of the management cluster
// (`--state kubernetes://NS`, the --kubeconfig/--context cluster), with its clusters' own runs beside it in either case.

import { resolve } from 'node:path';
import type { ClaimOptions, FleetStore, RunClaim, RunStore } from '../store/index.js';
import type { Clock } from '../time/clock.js';
import type { CliIo } from './io.js';
import { createKubeFactory } from './kube.js';
import { impersonationOf, type CommonFlags } from './options.js';
import { resolveStateLocation, type StateLocation } from './state-dir.js';

export interface FleetState {
  location: StateLocation;
  /** For messages: the state directory, or kubernetes://NS. */
  where: string;
  fleets: FleetStore;
  /** Claims a fleet run; `lost` is aborted when a lease claim is taken over or not renewed in time: stop the fleet run. */
  claimFleet(fleetId: string, options?: ClaimOptions): Promise<{ claim: RunClaim; lost?: AbortSignal }>;
  /** The clusters' runs (listing, `has`). */
  runs: RunStore;
  /**
   * The store one cluster's run is written through. In a namespace each cluster gets a store of its own, so that the
   * loss of one run's lease (`lost`) stops that run only.
   */
  forCluster(): Promise<{ store: RunStore; lost?: AbortSignal }>;
  /** Claims are leases: a live holder's is taken over only with --break-lock (or --force), as `resume` does for a run. */
  leases: boolean;
}

type StateFlags = Pick<CommonFlags, 'state' | 'stateDir' | 'kubeconfig' | 'context'> & Partial<Pick<CommonFlags, 'as' | 'asGroup'>>;

/** Opens both stores; the cluster one is checked first (namespace, RBAC): UsageError (exit 2) before anything runs. */
export async function openFleetState(flags: StateFlags, io: Pick<CliIo, 'env' | 'cwd'>, clock: Clock, access: 'read' | 'write'): Promise<FleetState> {
  const location = resolveStateLocation(flags, io.env, io.cwd);
  const { openDefaultStore, openDefaultFleetStore, openClusterStore, openClusterFleetStore } = await import('../store/default.js');
  if (location.kind === 'local') {
    const runs = openDefaultStore(location.stateDir);
    const fleets = openDefaultFleetStore(location.stateDir);
    return { location, where: location.stateDir, fleets, claimFleet: async (id, options) => ({ claim: await fleets.claimFleet(id, options) }), runs, forCluster: async () => ({ store: runs }), leases: false };
  }
  // One client to the management cluster for the fleet record and every cluster's run (cli/state-dir.ts opens one per run).
  const kube = await createKubeFactory({ kubeconfigPath: flags.kubeconfig ? resolve(io.cwd, flags.kubeconfig) : undefined, context: flags.context, env: io.env, clock, impersonate: impersonationOf(flags) })();
  const { namespace } = location;
  const runs = await openClusterStore({ kube, namespace, clock });
  // The fleet record and its lease use the same resources (configmaps, leases) the run store's preflight checks.
  await runs.preflight(access);
  const fleets = await openClusterFleetStore({ kube, namespace, clock });
  return {
    location,
    where: `kubernetes://${namespace}`,
    fleets,
    claimFleet: async (id, options) => {
      const claim = await fleets.claimFleet(id, options);
      return { claim, lost: claim.lost };
    },
    runs,
    forCluster: async () => {
      const store = await openClusterStore({ kube, namespace, clock });
      return { store, lost: store.lost };
    },
    leases: true,
  };
}
