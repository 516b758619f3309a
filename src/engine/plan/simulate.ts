// The run's worst case with the concurrency limit: the scheduler replayed with every step at its worst-case duration.
// The critical path alone ignores the limit; with more parallel work than slots, this is the longer (truer) figure.

import type { StepSpec } from '../../runbook/types.js';

/** Makespan of the engine's list schedule (ready steps first-come first-served, at most `concurrency` at once); O(n log n). */
export function simulateWorstCase(
  steps: readonly StepSpec[],
  worstCase: ReadonlyMap<string, number>,
  concurrency: number,
): number {
  const pending = new Map(steps.map((s) => [s.id, s.needs.length]));
  const dependents = new Map<string, StepSpec[]>(steps.map((s) => [s.id, []]));
  for (const step of steps) for (const need of step.needs) dependents.get(need)?.push(step);
  const ready = steps.filter((s) => s.needs.length === 0);
  let head = 0;
  // Equal end times finish in start order, as timers on the run's clock do.
  const running = new MinHeap<{ end: number; seq: number; step: StepSpec }>((a, b) => a.end - b.end || a.seq - b.seq);
  let seq = 0;
  let now = 0;
  while (head < ready.length || running.size > 0) {
    while (head < ready.length && running.size < concurrency) {
      const step = ready[head++]!;
      running.push({ end: now + (worstCase.get(step.id) ?? 0), seq: seq++, step });
    }
    const done = running.pop()!;
    now = done.end;
    for (const next of dependents.get(done.step.id)!) {
      const left = pending.get(next.id)! - 1;
      pending.set(next.id, left);
      if (left === 0) ready.push(next);
    }
  }
  return now;
}

class MinHeap<T> {
  private items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.before(items[i]!, items[parent]!) >= 0) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < items.length && this.before(items[left]!, items[best]!) < 0) best = left;
        if (right < items.length && this.before(items[right]!, items[best]!) < 0) best = right;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}
