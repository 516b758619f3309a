// Dependency-graph checks: cycles (printed `a → b → c → a`) and a topological order for the reachability checks.

import type { CheckContext } from './context.js';

export interface DependencyOrder {
  /** Positions in ctx.steps, dependencies first; steps on or behind a cycle are left out. */
  order: number[];
  /** For each position, the positions it needs (resolved, deduplicated). */
  deps: number[][];
}

/** Reports every dependency cycle once and returns the acyclic part in topological order. O(steps + needs). */
export function checkCycles(ctx: CheckContext): DependencyOrder {
  const positionOf = new Map<object, number>();
  ctx.steps.forEach((step, position) => positionOf.set(step, position));
  const deps = ctx.steps.map((step) => {
    const out = new Set<number>();
    for (const need of step.needs) {
      const target = ctx.byId.get(need.id);
      if (target) out.add(positionOf.get(target)!);
    }
    return [...out];
  });
  const order = sortTopologically(deps);
  if (order.length < deps.length) reportCycles(ctx, deps, order);
  return { order, deps };
}

function sortTopologically(deps: number[][]): number[] {
  const remaining = deps.map((d) => d.length);
  const dependents: number[][] = deps.map(() => []);
  deps.forEach((d, node) => d.forEach((dep) => dependents[dep]!.push(node)));
  const order: number[] = [];
  for (let node = 0; node < deps.length; node++) if (remaining[node] === 0) order.push(node);
  for (let i = 0; i < order.length; i++) {
    for (const next of dependents[order[i]!]!) if (--remaining[next]! === 0) order.push(next);
  }
  return order;
}

function reportCycles(ctx: CheckContext, deps: number[][], order: number[]): void {
  const done = new Set(order);
  for (const component of findStronglyConnected(deps, done)) {
    const start = Math.min(...component);
    const cycle = findCycleThrough(start, deps, new Set(component));
    if (!cycle) continue;
    const names = [...cycle, start].map((position) => ctx.steps[position]!.id);
    const first = ctx.steps[start]!;
    const next = ctx.steps[cycle[1] ?? start]!;
    const need = first.needs.find((n) => n.id === next.id)!;
    ctx.report(need.path, `dependency cycle: ${names.join(' → ')}`);
  }
}

// Iterative Tarjan over the nodes not sorted (only those can be on a cycle); returns components that hold a cycle.
function findStronglyConnected(deps: number[][], done: Set<number>): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < deps.length; root++) {
    if (done.has(root) || index.has(root)) continue;
    const work: [number, number][] = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [node, edge] = frame;
      if (edge === 0 && !index.has(node)) {
        index.set(node, counter);
        low.set(node, counter++);
        stack.push(node);
        onStack.add(node);
      }
      const next = deps[node]![edge];
      if (next !== undefined) {
        frame[1]++;
        if (done.has(next)) continue;
        if (!index.has(next)) work.push([next, 0]);
        else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0])!, low.get(node)!));
      if (low.get(node) === index.get(node)) {
        const component: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        if (component.length > 1 || deps[node]!.includes(node)) components.push(component);
      }
    }
  }
  return components;
}

/** Shortest path start → … → start inside the component (breadth first), as [start, …] without the closing start. */
function findCycleThrough(start: number, deps: number[][], component: Set<number>): number[] | undefined {
  const parent = new Map<number, number>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const next of deps[node]!) {
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (component.has(next) && !parent.has(next)) {
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return undefined;
}
