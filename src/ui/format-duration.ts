// Human-readable durations for every renderer (`1h2m`, `45s`, `320ms`), the same shape runbooks use.

/** Formats milliseconds the way durations are written in runbooks, dropping units below the second-largest. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(Math.round(ms));
  if (rest < 1000) return `${sign}${rest}ms`;
  if (rest < 10_000) return `${sign}${(rest / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  rest = Math.round(rest / 1000);
  const units: [string, number][] = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  return sign + parts.join('');
}
