// Fleet runs in the cluster store: one ConfigMap per fleet run holding the whole record, gzip-compressed, replaced as
// a whole with optimistic concurrency (resourceVersion, retried on 409); its claim is a Lease, as a run's is (claim.ts).

import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { UsageError, classifyError } from '../../errors.js';
import { isAlreadyExists, isConflict } from '../../k8s/index.js';
import type { KubeObject } from '../../k8s/types.js';
import { systemClock } from '../../time/clock.js';
import type { ClaimOptions, FleetRecord, FleetStore } from '../index.js';
import { claimLease, isLeaseHeld, type ClaimContext, type KubernetesClaim } from './claim.js';
import { DEFAULT_LEASE_MS, type KubernetesStoreOptions } from './index.js';
import type { ConfigMap } from './journal.js';
import { CONFIG_MAP, FLEET_DATA, FLEET_ID, LABEL, fleetLabels, fleetName, fleetsSelector } from './names.js';
import { MAX_TRANSIENT, retryTransient, transientDelay } from './retry.js';

const pack = promisify(gzip);
const unpack = promisify(gunzip);

/**
 * A ConfigMap holds at most 1 MiB of data. A 1,000-cluster record (every cluster failed, with its error, run id,
 * kubeconfig path, labels and inputs) is 554,342 bytes of JSON but 36,445 bytes gzipped (measured by
 * `npx vitest run test/store/kubernetes-fleets.test.ts`, which prints it): compressed, one object holds tens of
 * thousands of clusters, and a single object keeps every write atomic. 64 KiB are left for the object's metadata.
 */
export const MAX_RECORD_BYTES = 1024 * 1024 - 64 * 1024;
const MAX_CONFLICTS = 100;

export interface KubernetesFleetStore extends FleetStore {
  /** `lost` is aborted when the fleet run's lease is taken over or not renewed in time: stop the fleet run. */
  claimFleet(fleetId: string, options?: ClaimOptions): Promise<KubernetesClaim>;
}

type FleetConfigMap = ConfigMap & { binaryData?: Record<string, string> };

/** Fleet runs in a namespace, beside their clusters' runs (same kube client, clock and lease duration as the run store's). */
export function createKubernetesFleetStore(options: Pick<KubernetesStoreOptions, 'kube' | 'namespace' | 'clock' | 'leaseMs'>): KubernetesFleetStore {
  const { kube, namespace } = options;
  const clock = options.clock ?? systemClock;
  const ctx: ClaimContext = { kube, namespace, clock, leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS };
  const ref = (fleetId: string) => ({ ...CONFIG_MAP, name: fleetName(fleetId), namespace });
  // The metadata (resourceVersion) of our last write or read: the next write tries it before reading again.
  const known = new Map<string, KubeObject['metadata']>();
  const check = (fleetId: string) => {
    if (!FLEET_ID.test(fleetId)) throw new UsageError(`not a fleet id: ${fleetId}`);
  };

  async function decode(cm: FleetConfigMap, fleetId: string): Promise<FleetRecord> {
    const data = cm.binaryData?.[FLEET_DATA];
    try {
      if (data === undefined) throw new Error(`no ${FLEET_DATA}`);
      return JSON.parse((await unpack(Buffer.from(data, 'base64'))).toString('utf8')) as FleetRecord;
    } catch (error) {
      throw new UsageError(`fleet run ${fleetId}: ConfigMap ${namespace}/${fleetName(fleetId)} does not hold a readable record (${(error as Error).message})`, { cause: error });
    }
  }

  return {
    async writeFleet(record) {
      check(record.fleetId);
      const packed = await pack(Buffer.from(JSON.stringify(record)));
      if (packed.length > MAX_RECORD_BYTES) {
        throw new UsageError(
          `fleet run ${record.fleetId}: its record is ${packed.length} bytes compressed, more than a ConfigMap holds (${MAX_RECORD_BYTES}); ` +
            'keep this fleet in the state directory (--state-dir) or split it',
        );
      }
      const binaryData = { [FLEET_DATA]: packed.toString('base64') };
      let conflicts = 0;
      let failures = 0;
      for (;;) {
        try {
          const metadata = known.get(record.fleetId) ?? (await kube.get<FleetConfigMap>(ref(record.fleetId)))?.metadata;
          const labels = { ...metadata?.labels, ...fleetLabels(record.fleetId) };
          const body: FleetConfigMap = { ...CONFIG_MAP, metadata: { ...(metadata ?? {}), name: fleetName(record.fleetId), namespace, labels }, binaryData };
          // The whole record, compared on resourceVersion: a 409 means it changed since we looked (or our last write landed unseen).
          const stored = metadata ? await kube.replace<FleetConfigMap>(body) : await kube.create<FleetConfigMap>(body);
          known.set(record.fleetId, stored.metadata);
          return;
        } catch (error) {
          known.delete(record.fleetId);
          if ((isConflict(error) || isAlreadyExists(error)) && ++conflicts <= MAX_CONFLICTS) continue;
          if (classifyError(error) === 'transient' && ++failures <= MAX_TRANSIENT) {
            await clock.sleep(transientDelay(error, failures));
            continue;
          }
          throw error;
        }
      }
    },
    async readFleet(fleetId) {
      if (!FLEET_ID.test(fleetId)) return undefined;
      const cm = await retryTransient(clock, () => kube.get<FleetConfigMap>(ref(fleetId)));
      if (!cm) return undefined;
      known.set(fleetId, cm.metadata);
      return decode(cm, fleetId);
    },
    async listFleets() {
      const { items } = await retryTransient(clock, () => kube.list<FleetConfigMap>(CONFIG_MAP.apiVersion, CONFIG_MAP.kind, { namespace, labelSelector: fleetsSelector }));
      // Fleet ids start with their UTC start time, so reverse name order is newest first.
      return items.map((cm) => cm.metadata.labels?.[LABEL.fleetId] ?? '').filter((id) => FLEET_ID.test(id)).sort().reverse();
    },
    async claimFleet(fleetId, options) {
      check(fleetId);
      try {
        return await claimLease(ctx, fleetId, options);
      } catch (error) {
        // claim.ts speaks of runs; the lease is the fleet run's.
        if (error instanceof UsageError) throw new UsageError(error.message.replace(/^run /, 'fleet run '), { cause: error });
        throw error;
      }
    },
    isFleetActive: async (fleetId) => FLEET_ID.test(fleetId) && isLeaseHeld(ctx, fleetId),
  };
}
