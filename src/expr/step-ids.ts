// Step ids may hold '-', which CEL reads as minus; rewrite `steps.a-b` to `steps["a-b"]` outside string literals.

export interface RewrittenSource {
  text: string;
  /** Maps an offset in `text` back to the offset in the original source. */
  toSourceOffset(offset: number): number;
}

const DASHED_STEP = /steps\.([a-z0-9][a-z0-9-]*[a-z0-9])/y;

/** `steps.wait-ready.status` → `steps["wait-ready"].status`; everything else unchanged. */
export function quoteDashedStepIds(source: string): RewrittenSource {
  const identity = { text: source, toSourceOffset: (offset: number) => offset };
  if (!source.includes('-')) return identity;
  let out = '';
  const shifts: { at: number; delta: number }[] = []; // from rewritten offset `at` on, subtract `delta`
  let delta = 0;
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      const end = findStringEnd(source, i);
      out += source.slice(i, end);
      i = end;
      continue;
    }
    DASHED_STEP.lastIndex = i;
    const match = DASHED_STEP.exec(source);
    const before = i === 0 ? '' : source[i - 1]!;
    if (match && match[1]!.includes('-') && !/[A-Za-z0-9_.]/.test(before)) {
      const replacement = `steps[${JSON.stringify(match[1])}]`;
      out += replacement;
      delta += replacement.length - match[0].length;
      shifts.push({ at: out.length, delta });
      i += match[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  if (shifts.length === 0) return identity;
  return {
    text: out,
    toSourceOffset(offset) {
      let shift = 0;
      for (const s of shifts) if (offset >= s.at) shift = s.delta;
      return Math.max(0, offset - shift);
    },
  };
}

function findStringEnd(source: string, start: number): number {
  const quote = source[start]!;
  const triple = source.startsWith(quote.repeat(3), start);
  if (triple) {
    const end = source.indexOf(quote.repeat(3), start + 3);
    return end < 0 ? source.length : end + 3;
  }
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === quote) return i + 1;
  }
  return source.length;
}

