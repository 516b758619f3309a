// Cutting the ordered clusters into waves, and the failure budget, by the documented rounding rules.
//
// Counts take that many clusters. Percentages are of "the rest": the clusters left after the counts written before
// the first percentage (the canary), and round up, so a wave is never empty while clusters remain. Clusters left
// after the last written wave form one more wave; waves that would be empty (nothing left) are dropped.

import type { FailureBudget, Wave, WaveSize } from './types.js';

/** Splits `clusters` (already in rollout order) into waves. */
export function planWaves<T>(clusters: readonly T[], sizes: readonly WaveSize[]): Wave<T>[] {
  const firstPercent = sizes.findIndex((s) => 'percent' in s);
  const leading = (firstPercent === -1 ? sizes : sizes.slice(0, firstPercent)).reduce((n, s) => n + ('count' in s ? s.count : 0), 0);
  const rest = Math.max(0, clusters.length - leading);
  const waves: Wave<T>[] = [];
  let next = 0;
  const push = (count: number) => {
    const take = Math.min(count, clusters.length - next);
    if (take <= 0) return;
    waves.push({ number: waves.length + 1, id: `wave-${waves.length + 1}`, clusters: clusters.slice(next, next + take) });
    next += take;
  };
  for (const size of sizes) push('count' in size ? size.count : Math.max(1, Math.ceil((size.percent * rest) / 100)));
  push(clusters.length - next);
  return waves;
}

/** How many failed clusters the rollout tolerates: a percentage of the fleet rounds down (10% of 15 → 1). */
export function resolveFailureBudget(budget: FailureBudget, total: number): number {
  return 'count' in budget ? budget.count : Math.floor((budget.percent * total) / 100);
}

/** `1`, `10%` or `2.5%` as written in the fleet file or a flag; undefined when it is neither. */
export function parseSizeText(value: number | string): { count: number } | { percent: number } | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? { count: value } : undefined;
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (percent) return { percent: Number(percent[1]) };
  return /^\d+$/.test(value.trim()) ? { count: Number(value.trim()) } : undefined;
}
