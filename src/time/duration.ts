// Durations as written in runbooks ("90s", "1h30m", "500ms") and back, in one module so every area parses them the
// same way and formats them by one of two policies: exact (round-trips) or human (what renderers show).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Regex source shared with the JSON Schema so both accept exactly the same strings. */
export const DURATION_PATTERN = '^(?:[0-9]+(?:\\.[0-9]+)?(?:ms|s|m|h|d))+$';

const WHOLE = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g;

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== 'string' || !WHOLE.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return Math.round(total);
}

/**
 * Every unit down to the millisecond, e.g. 5_400_250 → "1h30m250ms": parseDuration() reads it back to the same value.
 * For values a user wrote or may copy back into a runbook (timeouts, deadlines, backoffs in plans and errors).
 */
export function formatDurationExact(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDurationExact(-ms)}`;
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}

/**
 * At most two units, e.g. 5_432_100 → "1h30m", 2_345 → "2.3s", 320 → "320ms" (∞ when not finite).
 * For elapsed and remaining times shown to people (renderers, progress messages), where precision is noise.
 */
export function formatDurationHuman(ms: number): string {
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
