// The cluster store (`--state kubernetes://NAMESPACE`): a run is ConfigMaps and a Lease in one namespace, so that
// namespace's RBAC decides who may read or write runs. ConfigMaps, not a CRD: nothing to install cluster-wide, and a
// Role can grant exactly these two resources. Layout: names.ts; the journal: journal.ts; the claim: claim.ts.

import { UsageError } from '../../errors.js';
import { isAlreadyExists, isNotFound, statusCodeOf } from '../../k8s/index.js';
import type { KubeClient } from '../../k8s/types.js';
import { systemClock, type Clock } from '../../time/clock.js';
import type { ClaimOptions, RunMetadata, RunStore } from '../index.js';
import { claimLease, isLeaseHeld, readLeaseOwner, type ClaimContext, type KubernetesClaim, type PodRef } from './claim.js';
import { DEFAULT_CHUNK_BYTES, createChunkReader, listChunks, openChunkWriter, type ChunkContext, type ConfigMap } from './journal.js';
import { retryTransient } from './retry.js';
import { readClusterRunIndex, writeClusterSummary } from './summary.js';
import { parseAnswer } from '../local/answers.js';
import { CONFIG_MAP, DATA, LABEL, LEASE, answerNamePrefix, answersSelector, chunkName, firstChunksSelector, labelsFor, metadataName } from './names.js';

export { DEFAULT_CHUNK_BYTES } from './journal.js';
export { chunkName, leaseName, metadataName } from './names.js';
export type { PodRef } from './claim.js';

export interface KubernetesStoreOptions {
  kube: KubeClient;
  namespace: string;
  /** @default systemClock */
  clock?: Clock;
  /** A claim's lease duration. @default 30 s */
  leaseMs?: number;
  /** Journal chunk size before rolling to the next chunk. @default 256 KiB */
  chunkBytes?: number;
  /** The pod this process runs in (a submitted Job's): recorded on its claims, so the next pod can take over at once once it ended. */
  pod?: PodRef;
  /** How long a claim waits for a live holder to end or expire. @default 2 × leaseMs in a pod (unattended), else 0 (refused at once) */
  claimWaitMs?: number;
}

export interface KubernetesStore extends RunStore {
  readonly namespace: string;
  /** Aborted when any claim this store made is lost (taken over, deleted, not renewed in time): stop the run. */
  readonly lost: AbortSignal;
  claim(runId: string, options?: ClaimOptions): Promise<KubernetesClaim>;
  /** Checks the namespace exists and this identity may use it (read; with `write`, also create): UsageError naming what is missing. */
  preflight(access: 'read' | 'write'): Promise<void>;
}

/** The verbs the store uses on each resource; deploy/rbac.yaml grants exactly these (a test keeps them in step). */
export const REQUIRED_ACCESS = {
  configmaps: ['get', 'list', 'create', 'update'],
  leases: ['get', 'create', 'update'],
  // Only to ask whether a claim's holder pod has ended (then its run is taken over at once); without it the lease's expiry decides.
  pods: ['get'],
} as const;

export const DEFAULT_LEASE_MS = 30_000;

export function createKubernetesStore(options: KubernetesStoreOptions): KubernetesStore {
  const { kube, namespace } = options;
  const clock = options.clock ?? systemClock;
  const chunks: ChunkContext = { kube, namespace, clock, chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES };
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  // Two lease durations: a holder that stopped renewing has expired by then; one still renewing after that is alive.
  const waitMs = options.claimWaitMs ?? (options.pod ? 2 * leaseMs : 0);
  const claims: ClaimContext = { kube, namespace, clock, leaseMs, waitMs, ...(options.pod ? { pod: options.pod } : {}) };
  const readJournal = createChunkReader(chunks);
  const lost = new AbortController();
  const runLost = new Map<string, AbortSignal>();
  const where = (runId: string) => `kubernetes://${namespace}/${chunkName(runId, 0).replace(/-0$/, '-*')}`;

  return {
    namespace,
    lost: lost.signal,
    locate: where,
    has: async (runId) => (await retryTransient(clock, () => listChunks(chunks, runId)).catch(rethrowAccess(namespace))).length > 0,
    async list() {
      const { items } = await retryTransient(clock, () => kube.list<ConfigMap>(CONFIG_MAP.apiVersion, CONFIG_MAP.kind, { namespace, labelSelector: firstChunksSelector })).catch(
        rethrowAccess(namespace),
      );
      // Run ids start with their UTC start time, so reverse name order is newest first.
      return items.map((cm) => cm.metadata.labels?.[LABEL.runId] ?? '').filter((id) => id !== '').sort().reverse();
    },
    openJournal: (runId, opts = {}) => openChunkWriter(chunks, runId, where(runId), { resume: opts.resume ?? false, lost: () => runLost.get(runId) }),
    read: (runId) => readJournal(runId, where(runId)),
    async claim(runId, opts) {
      const claim = await claimLease(claims, runId, opts);
      runLost.set(runId, claim.lost);
      claim.lost.addEventListener('abort', () => lost.abort(claim.lost.reason), { once: true });
      return claim;
    },
    readOwner: (runId) => readLeaseOwner(claims, runId),
    isActive: (runId) => isLeaseHeld(claims, runId),
    async writeMetadata(metadata) {
      const body: ConfigMap = {
        ...CONFIG_MAP,
        metadata: { name: metadataName(metadata.runId), namespace, labels: labelsFor(metadata.runId, 'metadata') },
        data: { [DATA.metadata]: `${JSON.stringify(metadata, null, 2)}\n` },
      };
      await retryTransient(clock, () =>
        kube.create(body).catch((error: unknown) => {
          // Our own earlier attempt landed but its answer was lost: metadata is written once, so it is the same.
          if (!isAlreadyExists(error)) throw error;
        }),
      );
    },
    writeSummary: (runId, summary) => writeClusterSummary(chunks, runId, summary),
    readRunIndex: () => readClusterRunIndex(chunks).catch(rethrowAccess(namespace)),
    async readMetadata(runId) {
      const cm = await retryTransient(clock, () => kube.get<ConfigMap>({ ...CONFIG_MAP, name: metadataName(runId), namespace }));
      const text = cm?.data?.[DATA.metadata];
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as RunMetadata;
      } catch {
        return undefined;
      }
    },
    // Created by the approver's own identity: RBAC on configmaps create decides who may answer, and the audit log records it.
    async addAnswer(runId, answer) {
      const body: ConfigMap = {
        ...CONFIG_MAP,
        metadata: { generateName: answerNamePrefix(runId), namespace, labels: labelsFor(runId, 'answer') } as ConfigMap['metadata'],
        data: { [DATA.answer]: `${JSON.stringify(answer)}\n` },
      };
      await kube.create(body);
    },
    async readAnswers(runId, stepId) {
      const { items } = await retryTransient(clock, () => kube.list<ConfigMap>(CONFIG_MAP.apiVersion, CONFIG_MAP.kind, { namespace, labelSelector: answersSelector(runId) }));
      return items
        .map((cm) => parseAnswer(cm.data?.[DATA.answer]))
        .filter((a): a is NonNullable<typeof a> => a?.stepId === stepId)
        .sort((a, b) => a.at.localeCompare(b.at));
    },
    async preflight(access) {
      const ns = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }).catch((error: unknown) => {
        // A Role cannot grant reading its own Namespace object: without that right, the checks below still tell.
        if (statusCodeOf(error) === 403) return 'unknown';
        throw error;
      });
      if (ns === undefined) throw new UsageError(`--state kubernetes://${namespace}: namespace ${namespace} does not exist on ${kube.server}; create it (kubectl create namespace ${namespace}) or name another`);
      // A selector no object carries: listing still needs the right, but downloads no journal (the client reads every page of a `limit`ed list).
      await kube.list(CONFIG_MAP.apiVersion, CONFIG_MAP.kind, { namespace, labelSelector: `${LABEL.part}=preflight-probe` }).catch(rethrowAccess(namespace));
      if (access === 'read') return;
      // Server-side dry runs: authorised and admitted like real writes, nothing stored.
      const probe = (kind: typeof CONFIG_MAP | typeof LEASE) => ({ ...kind, metadata: { name: 'opsbook-state-probe', namespace, labels: labelsFor('probe', 'claim') }, ...(kind === LEASE ? { spec: {} } : { data: {} }) });
      await kube.create(probe(CONFIG_MAP), { dryRun: true }).catch(rethrowAccess(namespace));
      await kube.create(probe(LEASE), { dryRun: true }).catch(rethrowAccess(namespace));
    },
  };
}

/** 403 → what is missing and what to do; a 404 on a namespaced write is a namespace that does not exist. */
function rethrowAccess(namespace: string): (error: unknown) => never {
  return (error) => {
    const code = statusCodeOf(error);
    if (code === 403) {
      throw new UsageError(
        `--state kubernetes://${namespace}: ${(error as Error).message}. The run state needs, in namespace ${namespace}: ` +
          `configmaps (${REQUIRED_ACCESS.configmaps.join(', ')}) and leases.coordination.k8s.io (${REQUIRED_ACCESS.leases.join(', ')}), ` +
          `and pods (${REQUIRED_ACCESS.pods.join(', ')}) to take over a run whose pod has ended without waiting for its lease to expire; ` +
          'bind the Role in deploy/rbac.yaml to your user or service account',
        { cause: error },
      );
    }
    if (isNotFound(error)) throw new UsageError(`--state kubernetes://${namespace}: namespace ${namespace} does not exist; create it or name another`, { cause: error });
    throw error;
  };
}
