// Object names and labels of a run kept in a namespace: one metadata ConfigMap, journal chunk ConfigMaps, one Lease;
// and of a fleet run: one record ConfigMap and one Lease.

/** Every object the store writes carries these, so `kubectl get cm,lease -l app.kubernetes.io/managed-by=opsbook` finds them. */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL = {
  runId: 'opsbook.dev/run-id',
  part: 'opsbook.dev/part',
  chunk: 'opsbook.dev/chunk',
  fleetId: 'opsbook.dev/fleet-id',
} as const;
export const ANNOTATION = {
  /** Sequence number (0-based position in the whole journal) of a chunk's first event. */
  firstSeq: 'opsbook.dev/first-seq',
  /** The claimant (RunOwner JSON) on the run's Lease. */
  owner: 'opsbook.dev/owner',
} as const;
/** The ConfigMap data keys. */
export const DATA = { journal: 'journal.ndjson', metadata: 'run.json', answer: 'answer.json' } as const;
/** The fleet record's binaryData key: gzip-compressed JSON. */
export const FLEET_DATA = 'fleet.json.gz';

export const CONFIG_MAP = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
export const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;

export const metadataName = (runId: string): string => `opsbook-run-${runId}`;
export const chunkName = (runId: string, index: number): string => `opsbook-run-${runId}-j-${index}`;
/** A run's Lease, or a fleet run's (claim.ts claims both): named as its metadata or record ConfigMap is. */
export const leaseName = (id: string): string => (FLEET_ID.test(id) ? fleetName(id) : `opsbook-run-${id}`);

/** An answer's name prefix: the server completes it (generateName), so two approvers never collide. */
export const answerNamePrefix = (runId: string): string => `opsbook-run-${runId}-answer-`;

export function labelsFor(runId: string, part: 'journal' | 'metadata' | 'claim' | 'answer', chunk?: number): Record<string, string> {
  return { [MANAGED_BY]: 'opsbook', [LABEL.runId]: runId, [LABEL.part]: part, ...(chunk === undefined ? {} : { [LABEL.chunk]: String(chunk) }) };
}

export const journalSelector = (runId: string): string => `${MANAGED_BY}=opsbook,${LABEL.runId}=${runId},${LABEL.part}=journal`;
export const answersSelector = (runId: string): string => `${MANAGED_BY}=opsbook,${LABEL.runId}=${runId},${LABEL.part}=answer`;
/** A run is listed by its first chunk, which exists from the moment its journal is opened. */
export const firstChunksSelector = `${MANAGED_BY}=opsbook,${LABEL.part}=journal,${LABEL.chunk}=0`;

/** A fleet id (src/fleet/ids.ts makes them); anything else never becomes an object name. */
export const FLEET_ID = /^fleet-\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/;
/** `opsbook-fleet-…`: the fleet id already says fleet. */
export const fleetName = (fleetId: string): string => `opsbook-${fleetId}`;
export const fleetLabels = (fleetId: string): Record<string, string> => ({ [MANAGED_BY]: 'opsbook', [LABEL.fleetId]: fleetId, [LABEL.part]: 'fleet' });
export const fleetsSelector = `${MANAGED_BY}=opsbook,${LABEL.part}=fleet`;
