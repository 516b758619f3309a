// The fleet as the rest of opsbook sees it once the fleet file (or --contexts) is validated and normalised.

/** How a cluster is reached: a kubeconfig file and/or context, or a Cluster API management cluster's Secret. */
export type ClusterConnection =
  | { kind: 'kubeconfig'; kubeconfig?: string; context?: string }
  | { kind: 'cluster-api'; management: { kubeconfig?: string; context?: string }; namespace: string; name: string };

/** One cluster of the fleet, every default filled. */
export interface FleetCluster {
  name: string;
  connection: ClusterConnection;
  labels: Record<string, string>;
  /** Input values for this cluster, applied over --values and --set. */
  inputs: Record<string, unknown>;
  /** Wall time this cluster's run may take before it is stopped and counted as failed. */
  deadlineMs?: number;
  /** Where it was declared (`file:line:col` or `context "prod-1"`), for messages. */
  origin: string;
}

/** A wave size as written: a count of clusters, or a percentage of the clusters after the leading counts. */
export type WaveSize = { count: number } | { percent: number };

/** A failure budget as written: a count, or a percentage of the fleet. */
export type FailureBudget = { count: number } | { percent: number };

/** Between waves: go on at once, wait a while, or ask (`--approve wave-N`, or y/N on a terminal). */
export type WavePause = { kind: 'none' } | { kind: 'delay'; ms: number } | { kind: 'manual' };

export interface FleetStrategy {
  waves: WaveSize[];
  /** @default 10 */
  maxParallel: number;
  /** @default { count: 0 }: the first failure stops the rollout */
  maxFailures: FailureBudget;
  pause: WavePause;
  /** undefined: as listed (discovered clusters by name after the listed ones). */
  orderByLabel?: string;
}

/** A validated fleet: its clusters (discovery already done, the selector applied) and its strategy. */
export interface Fleet {
  name: string;
  /** The fleet file, absent for a fleet given by flags only (`--contexts`). */
  file?: string;
  clusters: FleetCluster[];
  strategy: FleetStrategy;
}

/** A wave as scheduled: 1-based number, its gate id (`wave-2`) and its clusters in order. */
export interface Wave<T = FleetCluster> {
  number: number;
  id: string;
  clusters: T[];
}
