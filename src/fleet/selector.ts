// Kubernetes label selectors (`env=prod,region in (eu,us),!canary`): parsed once, then matched against label maps.

export type Requirement =
  | { key: string; op: 'exists' | 'not-exists' }
  | { key: string; op: 'in' | 'notin'; values: string[] };

export type LabelSelector = Requirement[];

export type SelectorParse = { selector: LabelSelector } | { error: string; index: number };

const KEY = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas outside parentheses, keeping each part's offset for error positions. */
function splitTopLevel(text: string): { part: string; at: number }[] {
  const parts: { part: string; at: number }[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if ((c === ',' && depth === 0) || i === text.length) {
      parts.push({ part: text.slice(start, i), at: start });
      start = i + 1;
    }
  }
  return parts;
}

function parseRequirement(raw: string, at: number): Requirement | { error: string; index: number } {
  const lead = raw.length - raw.trimStart().length;
  const text = raw.trim();
  const index = at + lead;
  if (text === '') return { error: 'empty requirement', index };
  const fail = (error: string) => ({ error: `"${text}": ${error}`, index });
  const key = (k: string) => (KEY.test(k) ? undefined : fail(`"${k}" is not a label key`));
  const value = (v: string) => (VALUE.test(v) && v.length <= 63 ? undefined : fail(`"${v}" is not a label value`));
  if (text.startsWith('!')) {
    const k = text.slice(1).trim();
    return key(k) ?? { key: k, op: 'not-exists' };
  }
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    if (values.length === 1 && values[0] === '') return fail(`${set[2]} needs at least one value`);
    for (const v of values) {
      const bad = value(v);
      if (bad) return bad;
    }
    return key(set[1]!) ?? { key: set[1]!, op: set[2] as 'in' | 'notin', values };
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (eq) {
    const v = eq[3]!.trim();
    return key(eq[1]!) ?? value(v) ?? { key: eq[1]!, op: eq[2] === '!=' ? 'notin' : 'in', values: [v] };
  }
  if (/\s/.test(text)) return fail('expected key, !key, key=value, key!=value, key in (…) or key notin (…)');
  return key(text) ?? { key: text, op: 'exists' };
}

/** Parses a selector; an empty text selects everything. */
export function parseLabelSelector(text: string): SelectorParse {
  if (text.trim() === '') return { selector: [] };
  const selector: LabelSelector = [];
  for (const { part, at } of splitTopLevel(text)) {
    const requirement = parseRequirement(part, at);
    if ('error' in requirement) return requirement;
    selector.push(requirement);
  }
  return { selector };
}

/** Kubernetes semantics: `!=` and `notin` also match when the label is absent. */
export function matchesSelector(selector: LabelSelector, labels: Record<string, string>): boolean {
  return selector.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'not-exists':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key]!);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]!);
    }
  });
}
