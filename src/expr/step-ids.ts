// Step ids may hold '-', which CEL reads as minus; rewrite `steps.a-b` to `steps["a-b"]` outside string literals.

/** `steps.wait-ready.status` → `steps["wait-ready"].status`; everything else unchanged. */
export function quoteDashedStepIds(source: string): string {
  if (!source.includes('-')) return source;
  let out = '';
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'") {
      const end = findStringEnd(source, i);
      out += source.slice(i, end);
      i = end;
      continue;
    }
    const match = /^steps\.([a-z0-9][a-z0-9-]*[a-z0-9])/.exec(source.slice(i));
    const before = i === 0 ? '' : source[i - 1]!;
    if (match && match[1]!.includes('-') && !/[A-Za-z0-9_.]/.test(before)) {
      out += `steps[${JSON.stringify(match[1])}]`;
      i += match[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
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

