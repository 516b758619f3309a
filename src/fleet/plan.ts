// `plan --fleet`: the rollout's worst case (waves one after another, maxParallel within a wave, each cluster at its
// own worst case or cut off at its deadline) and the clusters grouped by identical previews. Pure: no cluster here.

import type { WavePause } from './types.js';

/** One cluster's plan, summarised: what its previews say (or why there are none) and how long it may take. */
export interface ClusterPlanSummary {
  name: string;
  wave: number;
  /** The runbook's worst case on this cluster, before any deadline. */
  worstCaseMs: number;
  /** The tighter of the runbook's deadline and the cluster's own: past it the run is stopped. */
  deadlineMs?: number;
  /** Step id → the preview's one-line summary, or "unavailable: reason". Same text → same group. */
  previews: Array<{ step: string; summary?: string; unavailable?: string }>;
  /** Why no preview was asked for: offline, or the cluster did not answer. */
  unreachable?: string;
  warnings: string[];
}

export interface PreviewGroup {
  clusters: string[];
  previews: ClusterPlanSummary['previews'];
  unreachable?: string;
}

export interface RolloutWorstCase {
  /** Per wave, in order: its clusters run maxParallel at a time, in rollout order. */
  waves: Array<{ wave: number; clusters: number; worstCaseMs: number }>;
  /** Fixed pauses between waves (a manual gate adds the time to approve it, not counted). */
  pausesMs: number;
  worstCaseMs: number;
  manualGates: number;
}

/** A cluster's worst case as the fleet sees it: cut off at its deadline. */
export function clusterWorstCase(c: Pick<ClusterPlanSummary, 'worstCaseMs' | 'deadlineMs'>): number {
  return c.deadlineMs === undefined ? c.worstCaseMs : Math.min(c.worstCaseMs, c.deadlineMs);
}

/** Longest finish time when `durations` start in order on `slots` parallel slots (each on the first slot to free up). */
export function listSchedule(durations: readonly number[], slots: number): number {
  const free = Array.from({ length: Math.max(1, Math.min(slots, durations.length)) }, () => 0);
  let end = 0;
  for (const d of durations) {
    let first = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[first]!) first = i;
    free[first]! += d;
    end = Math.max(end, free[first]!);
  }
  return end;
}

export function rolloutWorstCase(clusters: readonly ClusterPlanSummary[], maxParallel: number, pause: WavePause): RolloutWorstCase {
  const byWave = new Map<number, number[]>();
  for (const c of clusters) byWave.set(c.wave, [...(byWave.get(c.wave) ?? []), clusterWorstCase(c)]);
  const waves = [...byWave.entries()].sort(([a], [b]) => a - b).map(([wave, durations]) => ({ wave, clusters: durations.length, worstCaseMs: listSchedule(durations, maxParallel) }));
  const between = Math.max(0, waves.length - 1);
  const pausesMs = pause.kind === 'delay' ? pause.ms * between : 0;
  return {
    waves,
    pausesMs,
    worstCaseMs: waves.reduce((sum, w) => sum + w.worstCaseMs, 0) + pausesMs,
    manualGates: pause.kind === 'manual' ? between : 0,
  };
}

/** Clusters whose previews read the same, largest group first (ties: rollout order). */
export function groupPreviews(clusters: readonly ClusterPlanSummary[]): PreviewGroup[] {
  const groups = new Map<string, PreviewGroup>();
  for (const c of clusters) {
    const key = JSON.stringify([c.unreachable ?? null, c.previews]);
    const group = groups.get(key);
    if (group) group.clusters.push(c.name);
    else groups.set(key, { clusters: [c.name], previews: c.previews, ...(c.unreachable !== undefined ? { unreachable: c.unreachable } : {}) });
  }
  return [...groups.values()].sort((a, b) => b.clusters.length - a.clusters.length);
}

/** Identical warnings of many clusters, once each with the clusters that have it. */
export function groupWarnings(clusters: readonly ClusterPlanSummary[]): Array<{ warning: string; clusters: string[] }> {
  const byText = new Map<string, string[]>();
  for (const c of clusters) for (const w of c.warnings) byText.set(w, [...(byText.get(w) ?? []), c.name]);
  return [...byText.entries()].map(([warning, names]) => ({ warning, clusters: names }));
}
