// Fleet rehearsals: each simulated cluster's own scenario, the base one with its `fleet:` variation (if any) applied.
//
// Variations take their clusters in order, spread evenly over the clusters not yet varied (in rollout order), so a
// 10% share lands across the waves rather than all in the canary or all in the last wave; the same names and scenario
// always give the same assignment.

import type { FleetVariationInput, ScenarioInput } from './input.js';
import { normalizeScenario } from './normalize.js';
import type { Scenario } from './types.js';

export interface FleetClusterScenario {
  /** The fleet cluster's name (sim-1 … or the fleet file's). */
  name: string;
  scenario: Scenario;
  /** Index into the scenario's fleet.variations, when one applies. */
  variation?: number;
  /** "slow ×5", "faults", "no join: worker-1" — what differs, for the report. */
  differs: string[];
}

/** How many clusters a variation takes out of `total`: a share rounds up (10% of 15 → 2). */
function sizeOf(variation: FleetVariationInput, total: number): number {
  if (variation.count !== undefined) return variation.count;
  const percent = Number(variation.share!.slice(0, -1));
  return Math.ceil((percent * total) / 100);
}

/** Which cluster (by index) gets which variation. */
export function assignVariations(variations: readonly FleetVariationInput[], total: number): Map<number, number> {
  const assigned = new Map<number, number>();
  variations.forEach((variation, v) => {
    const free = [...Array(total).keys()].filter((i) => !assigned.has(i));
    const take = Math.min(sizeOf(variation, total), free.length);
    for (let j = 0; j < take; j++) assigned.set(free[Math.floor(((j + 0.5) * free.length) / take)]!, v);
  });
  return assigned;
}

function applyVariation(base: ScenarioInput, name: string, variation: FleetVariationInput | undefined): ScenarioInput {
  // A distinct name gives each cluster its own clusterID (derived from it), as separate clusters have.
  const input: ScenarioInput = { ...base, name: `${base.name}-${name}` };
  delete input.fleet;
  if (!variation) return input;
  if (variation.faults) input.faults = variation.faults;
  if (variation.kubelet) input.kubelet = { ...base.kubelet, ...variation.kubelet };
  if (variation.noJoin) input.machines = (base.machines ?? []).filter((m) => !variation.noJoin!.includes(m.name));
  return input;
}

/** Stretches the simulated delays of a normalised scenario by `factor`. */
function slowDown(scenario: Scenario, factor: number): Scenario {
  const times = (ms: number) => Math.round(ms * factor);
  return {
    ...scenario,
    machines: scenario.machines.map((m) => ({ ...m, joinAt: times(m.joinAt), readyDelay: times(m.readyDelay) })),
    kubelet: { ...scenario.kubelet, csrRetryInterval: times(scenario.kubelet.csrRetryInterval) },
    workloads: scenario.workloads.map((w) => ({ ...w, rolloutDuration: times(w.rolloutDuration) })),
    ...(scenario.imageRegistry ? { imageRegistry: { ...scenario.imageRegistry, rolloutDuration: times(scenario.imageRegistry.rolloutDuration) } } : {}),
    ...(scenario.controlPlane ? { controlPlane: { ...scenario.controlPlane, restartDelay: times(scenario.controlPlane.restartDelay) } } : {}),
  };
}

function describe(variation: FleetVariationInput): string[] {
  return [
    variation.slow !== undefined && variation.slow !== 1 ? `slow ×${variation.slow}` : '',
    variation.faults ? 'faults' : '',
    variation.kubelet ? 'kubelet' : '',
    variation.noJoin?.length ? `no join: ${variation.noJoin.join(', ')}` : '',
  ].filter(Boolean);
}

/** One scenario per cluster name; a scenario without `fleet:` gives every cluster the same (but its own) cluster. */
export function fleetClusterScenarios(scenario: Scenario, names: readonly string[]): FleetClusterScenario[] {
  const variations = scenario.fleet?.variations ?? [];
  const assigned = assignVariations(variations, names.length);
  return names.map((name, i) => {
    const v = assigned.get(i);
    const variation = v === undefined ? undefined : variations[v];
    if (!scenario.fleet) return { name, scenario: { ...scenario, name: `${scenario.name}-${name}` }, differs: [] };
    let own = normalizeScenario(applyVariation(scenario.fleet.source, name, variation));
    if (variation?.slow !== undefined) own = slowDown(own, variation.slow);
    return { name, scenario: own, ...(v !== undefined ? { variation: v } : {}), differs: variation ? describe(variation) : [] };
  });
}
