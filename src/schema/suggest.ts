// "did you mean" hints for typos in keys, step types, step ids and input names.

/** Edit distance where swapping two neighbours counts as one edit (typos like `fecth`); above `max` returns max + 1. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
      rowMin = Math.min(rowMin, best);
    }
    if (rowMin > max) return max + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest candidates to `word` (at most 3, equally close). */
export function findCloseNames(word: string, candidates: Iterable<string>): string[] {
  const lower = word.toLowerCase();
  const scored: [string, number][] = [];
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const longest = Math.max(word.length, candidate.length);
    const limit = longest < 3 ? 0 : Math.min(3, Math.ceil(longest / 4));
    let score = editDistance(lower, c, limit);
    if (score > limit && (c.startsWith(lower) || lower.startsWith(c)) && Math.min(c.length, lower.length) >= 3) score = limit;
    if (score <= limit) scored.push([candidate, score]);
  }
  const best = Math.min(...scored.map(([, score]) => score));
  // only the closest ones: a second-best guess next to a near-certain one is noise
  return scored.filter(([, score]) => score === best).sort((x, y) => x[0].localeCompare(y[0])).slice(0, 3).map(([name]) => name);
}

/** ` (did you mean 'x'?)`, or '' when nothing is close. */
export function formatSuggestion(word: string, candidates: Iterable<string>): string {
  const close = findCloseNames(word, candidates);
  if (close.length === 0) return '';
  return ` (did you mean ${close.map((name) => `'${name}'`).join(' or ')}?)`;
}
