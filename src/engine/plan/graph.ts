// Execution waves (topological levels) and the worst-case critical path, both linear in steps + edges.

import type { StepSpec } from '../../runbook/types.js';

/** What the graph helpers read of a step, so a journal's step list (the run report) works as well as a runbook's. */
export type DagNode = Pick<StepSpec, 'id' | 'needs'>;

/** Steps grouped by level: wave 0 has no needs, wave n needs something in wave n-1. Input order kept inside a wave. */
export function computeWaves<S extends DagNode>(
  steps: readonly S[],
  order: readonly S[] = topologicalOrder(steps),
): { waves: string[][]; waveOf: Map<string, number> } {
  const waveOf = new Map<string, number>();
  for (const step of order) {
    let wave = 0;
    for (const need of step.needs) wave = Math.max(wave, (waveOf.get(need) ?? -1) + 1);
    waveOf.set(step.id, wave);
  }
  const waves: string[][] = [];
  for (const step of steps) {
    const wave = waveOf.get(step.id)!;
    (waves[wave] ??= []).push(step.id);
  }
  return { waves, waveOf };
}

/** Kahn's algorithm; a cycle (validation rejects them) would leave steps out, so they are appended last. */
export function topologicalOrder<S extends DagNode>(steps: readonly S[]): S[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const pending = new Map(steps.map((s) => [s.id, s.needs.filter((n) => byId.has(n)).length]));
  const dependents = new Map<string, S[]>(steps.map((s) => [s.id, []]));
  for (const step of steps) for (const need of step.needs) dependents.get(need)?.push(step);
  const order = steps.filter((s) => pending.get(s.id) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const next of dependents.get(order[i]!.id)!) {
      const left = pending.get(next.id)! - 1;
      pending.set(next.id, left);
      if (left === 0) order.push(next);
    }
  }
  if (order.length < steps.length) {
    const seen = new Set(order.map((s) => s.id));
    for (const step of steps) if (!seen.has(step.id)) order.push(step);
  }
  return order;
}

/** The longest chain of worst-case durations through the DAG (ignores the concurrency limit). */
export function findCriticalPath<S extends DagNode>(
  steps: readonly S[],
  worstCase: ReadonlyMap<string, number>,
  order: readonly S[] = topologicalOrder(steps),
): { steps: string[]; worstCaseMs: number } {
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  for (const step of order) {
    let start = 0;
    let from: string | undefined;
    for (const need of step.needs) {
      const end = finish.get(need) ?? 0;
      if (from === undefined || end > start) {
        start = end;
        from = need;
      }
    }
    finish.set(step.id, start + (worstCase.get(step.id) ?? 0));
    via.set(step.id, from);
  }
  let last: string | undefined;
  let longest = 0;
  for (const [id, end] of finish) {
    if (last === undefined || end > longest) {
      last = id;
      longest = end;
    }
  }
  const path: string[] = [];
  for (let id = last; id !== undefined; id = via.get(id)) path.unshift(id);
  return { steps: path, worstCaseMs: longest };
}
