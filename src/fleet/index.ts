// Fleets: one runbook over many clusters. The fleet file, discovery and selectors, waves and the failure budget, the
// scheduler, and the fleet's events; the CLI wires the per-cluster run (the existing engine, unchanged) into it.

export type { Fleet, FleetCluster, FleetStrategy, ClusterConnection, Wave, WaveSize, FailureBudget, WavePause } from './types.js';
export { fleetSchema, getFleetSchema, FLEET_SCHEMA_ID } from './schema.js';
export { loadFleetFile, loadFleetText, resolveKubeconfigPath, DEFAULT_STRATEGY, type FleetFileSpec, type DiscoverSpec, type RawCluster, type FleetLoadOptions } from './load.js';
export { resolveFleet, orderClusters, CLUSTER_API_VERSION, type ResolveOptions } from './resolve.js';
export { readKubeconfigContexts, type KubeconfigContexts, type KubeconfigLookup, type KubeconfigRead } from './kubeconfig.js';
export { parseLabelSelector, matchesSelector, type LabelSelector, type Requirement } from './selector.js';
export { compileGlob } from './glob.js';
export { planWaves, resolveFailureBudget, parseSizeText } from './waves.js';
export { runFleetSchedule, type ClusterRunResult, type SchedulerEvent, type SchedulerOptions, type FleetOutcome, type ScheduledCluster } from './scheduler.js';
export { groupFailures, type FleetEvent, type FleetCounts, type FailureGroup } from './events.js';
export { createFleetId, isFleetId } from './ids.js';
export { rolloutWorstCase, groupPreviews, groupWarnings, listSchedule, clusterWorstCase, type ClusterPlanSummary, type PreviewGroup, type RolloutWorstCase } from './plan.js';
