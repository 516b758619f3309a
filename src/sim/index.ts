// Public API of the simulated cluster (used by `sim serve`, `rehearse`, tests and benchmarks).

export { startSimulation, type Simulation, type StartSimulationOptions } from './simulation.js';
export { loadScenario, parseScenario, getScenarioSchema } from './scenario/load.js';
export type { ScenarioInput } from './scenario/input.js';
export type { Scenario } from './scenario/types.js';
export { fleetClusterScenarios, assignVariations, type FleetClusterScenario } from './scenario/fleet.js';
export type { SimSummary, CsrSummary, NodeSummary, OperatorSummary } from './summary.js';
export type { KubeletState } from './actors/kubelet.js';
export type { AssistedRequest, AssistedService, AssistedSummary } from './assisted/index.js';
export { rehearsalNodeOpener } from './controlplane/index.js';
export { startWorkloads, type Workloads, type PodImage } from './workloads/index.js';
export type { ControlPlane, ControlPlaneSummary } from './controlplane/index.js';
