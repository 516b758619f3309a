// `expectStatus` as written (200, "2xx", "200-204", or a list of those) compiled once into ranges.

/** An inclusive range of HTTP status codes. */
export interface StatusRange {
  min: number;
  max: number;
}

const CLASS = /^([1-5])xx$/i;
const RANGE = /^(\d{3})\s*-\s*(\d{3})$/;
const SINGLE = /^\d{3}$/;

/** Parses one expectStatus entry; undefined when it is not a status, class or range. */
export function parseStatusRange(entry: unknown): StatusRange | undefined {
  if (typeof entry === 'number' && Number.isInteger(entry) && entry >= 100 && entry <= 599) return { min: entry, max: entry };
  if (typeof entry !== 'string') return undefined;
  const text = entry.trim();
  const cls = CLASS.exec(text);
  if (cls) return { min: Number(cls[1]) * 100, max: Number(cls[1]) * 100 + 99 };
  if (SINGLE.test(text)) return parseStatusRange(Number(text));
  const range = RANGE.exec(text);
  if (range) {
    const min = Number(range[1]);
    const max = Number(range[2]);
    if (min >= 100 && max <= 599 && min <= max) return { min, max };
  }
  return undefined;
}

/** The entries of expectStatus (a single value or a list) as a list. */
export function listStatusEntries(value: unknown): unknown[] {
  if (value === undefined) return ['2xx'];
  return Array.isArray(value) ? value : [value];
}

export function matchesStatus(status: number, ranges: readonly StatusRange[]): boolean {
  return ranges.some((r) => status >= r.min && status <= r.max);
}

/** "2xx", "200, 404", "200-204" — for error messages. */
export function describeStatusRanges(ranges: readonly StatusRange[]): string {
  return ranges
    .map((r) => {
      if (r.min === r.max) return String(r.min);
      if (r.min % 100 === 0 && r.max === r.min + 99) return `${r.min / 100}xx`;
      return `${r.min}-${r.max}`;
    })
    .join(', ');
}
