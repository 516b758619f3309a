// The only importer of 'js-yaml': a fast first pass for well-formed runbooks. js-yaml reads a runbook 6–10× faster
// than 'yaml' (a 10,000-step file: 0.2 s against 1.5 s here), so valid files never pay for the slower, richer parser.
// Anything unusual (aliases, tags, duplicate keys, several documents, a syntax error) returns undefined, and the
// caller parses with 'yaml' (src/yaml/parse.ts), which reports every problem with its position.

import { CORE_SCHEMA, EVENT_ID, YAMLException, constructFromEvents, getScalarValue, mergeTag, parseEvents, type Event } from 'js-yaml';
import type { Diagnostic } from '../errors.js';
import type { PathSegment } from '../schema/index.js';
import type { SourcePosition } from '../runbook/types.js';
import type { Locate, ParsedYaml } from './parse.js';

// YAML 1.2 core with `<<` merge keys: the same resolution 'yaml' applies with { merge: true }.
const SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/**
 * Deepest nesting of collections a YAML file may have. Runbooks and manifests stay under 30; 'yaml' and the checks
 * after it recurse per level and run out of stack near 800, so deeper text is refused before either parser recurses.
 */
export const MAX_YAML_NESTING = 100;

/** `file:line:col: nesting deeper than N levels` where js-yaml's bounded, non-recursive parser reached the limit. */
export function findDeepNesting(text: string, file: string): Diagnostic | undefined {
  try {
    parseEvents(text, { filename: file, maxDepth: MAX_YAML_NESTING });
    return undefined;
  } catch (error) {
    return toNestingDiagnostic(error, file);
  }
}

function toNestingDiagnostic(error: unknown, file: string): Diagnostic | undefined {
  if (!(error instanceof YAMLException) || !error.reason.startsWith('nesting exceeded maxDepth') || !error.mark) return undefined;
  return { file, line: error.mark.line + 1, col: error.mark.column + 1, path: '(yaml)', message: describeDeepNesting() };
}

export const describeDeepNesting = (): string => `nesting deeper than ${MAX_YAML_NESTING} levels (maps and lists inside each other)`;

/**
 * One document parsed quickly with node positions, or undefined when the text needs the full parser. Text nested
 * too deeply comes back with its diagnostic and no value: the full parser would only overflow its stack on it.
 */
export function parseYamlQuickly(text: string, file: string): ParsedYaml | undefined {
  let events: Event[];
  let value: unknown;
  try {
    events = parseEvents(text, { filename: file, maxDepth: MAX_YAML_NESTING });
    // maxAliases 0: aliases go to the full parser, which bounds their expansion (billion laughs).
    const documents = constructFromEvents(events, { source: text, filename: file, schema: SCHEMA, maxAliases: 0 });
    if (documents.length !== 1) return undefined;
    value = documents[0];
  } catch (error) {
    const nesting = toNestingDiagnostic(error, file);
    return nesting ? { value: undefined, locate: () => ({ line: nesting.line, col: nesting.col }), locateInString: () => ({ line: nesting.line, col: nesting.col }), diagnostics: [nesting] } : undefined;
  }
  if (value === null || value === undefined) return undefined;
  const locate = createEventLocator(text, events);
  return { value, locate, locateInString: (path) => locate(path), diagnostics: [] };
}

interface NodeStart {
  value: number;
  key?: number;
}

interface Frame {
  path: string;
  sequence: boolean;
  index: number;
  /** Inside a mapping: the key just read, waiting for its value. */
  key?: { name: string; start: number };
}

const SEP = '\u0000';
const pathKey = (path: readonly PathSegment[]): string => path.map(String).join(SEP);

/** Positions of every node, by path, built on first use from the parser's events. */
function createEventLocator(text: string, events: readonly Event[]): Locate {
  let starts: Map<string, NodeStart> | undefined;
  let lineStarts: number[] | undefined;
  const at = (offset: number): SourcePosition => {
    lineStarts ??= computeLineStarts(text);
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, col: offset - lineStarts[low]! + 1 };
  };
  return (path, target = 'value') => {
    starts ??= indexNodeStarts(text, events);
    for (let length = path.length; length >= 0; length--) {
      const found = starts.get(pathKey(path.slice(0, length)));
      if (!found) continue;
      return at(length === path.length && target === 'key' && found.key !== undefined ? found.key : found.value);
    }
    return { line: 1, col: 1 };
  };
}

function indexNodeStarts(text: string, events: readonly Event[]): Map<string, NodeStart> {
  const starts = new Map<string, NodeStart>();
  const stack: Frame[] = [];
  for (const event of events) {
    if (event.type === EVENT_ID.DOCUMENT) continue;
    if (event.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    const start = event.type === EVENT_ID.SCALAR ? event.valueStart : event.type === EVENT_ID.ALIAS ? event.anchorStart : event.start;
    const parent = stack[stack.length - 1];
    let path: string | undefined;
    if (!parent) {
      path = '';
      starts.set(path, { value: start });
    } else if (parent.sequence) {
      path = parent.path === '' && stack.length === 1 ? String(parent.index) : `${parent.path}${SEP}${parent.index}`;
      parent.index++;
      starts.set(path, { value: start });
    } else if (!parent.key) {
      // A key: remembered until its value arrives (a collection as key gets no path).
      parent.key = { name: event.type === EVENT_ID.SCALAR ? getScalarValue(text, event) : '', start };
    } else {
      path = stack.length === 1 && parent.path === '' ? parent.key.name : `${parent.path}${SEP}${parent.key.name}`;
      starts.set(path, { value: start, key: parent.key.start });
      parent.key = undefined;
    }
    if (event.type === EVENT_ID.MAPPING || event.type === EVENT_ID.SEQUENCE) {
      stack.push({ path: path ?? `${SEP}(complex key)`, sequence: event.type === EVENT_ID.SEQUENCE, index: 0 });
    }
  }
  return starts;
}

function computeLineStarts(text: string): number[] {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return lineStarts;
}
