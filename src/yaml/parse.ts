// The only importer of 'yaml': parses with source positions so any field path maps back to line:col.

import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { RunbookError, type Diagnostic } from '../errors.js';
import type { SourcePosition } from '../runbook/types.js';
import type { PathSegment } from '../schema/index.js';
import { describeDeepNesting, findDeepNesting } from './fast.js';

/** Where to point for a path: the key (`need:`) or its value. */
export type PositionTarget = 'key' | 'value';

export type Locate = (path: readonly PathSegment[], target?: PositionTarget) => SourcePosition;

/** Position of character `index` of the string value at `path` (exact for plain, simple quoted and `|` scalars). */
export type LocateInString = (path: readonly PathSegment[], index: number) => SourcePosition;

export interface ParsedYaml {
  /** Plain JS value of the (first) document; undefined when empty, or when its syntax errors leave nothing usable. */
  value: unknown;
  /** Maps a field path to the nearest existing node's line:col (1-based). */
  locate: Locate;
  locateInString: LocateInString;
  /** Syntax errors, all of them, each with its position. */
  diagnostics: Diagnostic[];
}

const MAX_ALIASES = 1000;

/** Errors after which the document still means what it says (the later duplicate wins), so checking goes on. */
const RECOVERABLE_ERRORS: ReadonlySet<string> = new Set(['DUPLICATE_KEY']);

const require = createRequire(import.meta.url);
let yamlModule: typeof YamlModule | undefined;
// 'yaml' is CommonJS under Node, so it can be required synchronously on first use: valid runbooks are read by
// js-yaml (yaml-fast.ts) and a cold `opsbook validate` never loads this parser (~40 ms).
const loadYaml = (): typeof YamlModule => (yamlModule ??= require('yaml') as typeof YamlModule);

/** Parses one YAML document keeping positions; never throws for bad input. */
export function parseYamlWithPositions(text: string, file: string): ParsedYaml {
  const nesting = findDeepNesting(text, file);
  if (nesting) return { value: undefined, locate: () => nesting, locateInString: () => nesting, diagnostics: [nesting] };
  const lineCounter = new (loadYaml().LineCounter)();
  const docs = loadYaml().parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line, col };
  };
  const diagnostics: Diagnostic[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  let usable = true;
  for (const doc of list) {
    const overflow = findStackOverflow(doc.errors);
    if (overflow !== undefined) return { value: undefined, locate: () => at(overflow), locateInString: () => at(overflow), diagnostics: [{ file, ...at(overflow), path: '(yaml)', message: describeDeepNesting() }] };
    for (const error of doc.errors) {
      if (!RECOVERABLE_ERRORS.has(error.code)) usable = false;
      const pos = at(error.pos[0]);
      diagnostics.push({ file, ...pos, path: '(yaml)', message: describeYamlError(error.message, error.code, readKeyAt(text, error.pos[0])) });
    }
  }
  const nonEmpty = list.filter((doc) => doc.contents !== null || doc.errors.length > 0);
  if (nonEmpty.length > 1) {
    const second = nonEmpty[1]!;
    diagnostics.push({
      file, ...at(second.range[0]), path: '(yaml)',
      message: `expected one YAML document, found ${nonEmpty.length} (one runbook per file)`,
    });
  }
  const doc = nonEmpty[0] ?? list[0];
  let value: unknown;
  // A second document does not spoil the first: it is still checked, so all its problems show in one pass.
  if (doc && usable) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (error) {
      diagnostics.push({ file, line: 1, col: 1, path: '(yaml)', message: (error as Error).message });
    }
  }
  const locate = createLocator(doc, at);
  return { value, locate, locateInString: createStringLocator(doc, text, at, locate), diagnostics };
}

/**
 * Where 'yaml' ran out of stack, if it did: nesting js-yaml could not measure (it stopped at an earlier syntax error).
 * The errors after it only echo the overflow, so the caller reports this one alone.
 */
function findStackOverflow(errors: readonly { message: string; pos: [number, number] }[]): number | undefined {
  return errors.find((error) => error.message.includes('Maximum call stack size exceeded'))?.pos[0];
}

function readKeyAt(text: string, offset: number): string {
  const end = text.indexOf('\n', offset);
  const line = text.slice(offset, end < 0 ? undefined : end);
  return line.split(/:(\s|$)/)[0]!.slice(0, 60);
}

/** First line of the yaml package's message, without its own position suffix; duplicate keys are named. */
function describeYamlError(message: string, code?: string, source?: string): string {
  if (code === 'DUPLICATE_KEY' && source) return `duplicate key '${source.trim()}' (each key may appear once in a map)`;
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function createLocator(doc: Document | undefined, at: (offset: number) => SourcePosition): Locate {
  return (path, target = 'value') => {
    if (!doc || !doc.contents) return { line: 1, col: 1 };
    let node: unknown = doc.contents;
    let best = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      if (loadYaml().isAlias(node)) node = node.resolve(doc);
      const segment = path[i]!;
      let next: unknown;
      let keyNode: unknown;
      if (loadYaml().isMap(node)) {
        // the last of duplicate keys, as in the value (toJS keeps the later one)
        const pair = node.items.findLast((item) => loadYaml().isPair(item) && keyOf(item.key) === String(segment));
        keyNode = pair?.key;
        next = pair?.value;
      } else if (loadYaml().isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
      }
      const last = i === path.length - 1;
      if (last && target === 'key' && keyNode) return at(rangeStart(keyNode) ?? best);
      if (next === undefined || next === null) {
        const keyStart = keyNode ? rangeStart(keyNode) : undefined;
        return at(keyStart ?? best);
      }
      node = next;
      best = rangeStart(node) ?? best;
    }
    return at(best);
  };
}

function createStringLocator(doc: Document | undefined, text: string, at: (offset: number) => SourcePosition, locate: Locate): LocateInString {
  return (path, index) => {
    const node = doc ? findNode(doc, path) : undefined;
    if (!loadYaml().isScalar(node) || typeof node.value !== 'string' || !node.range) return locate(path);
    const value = node.value;
    const [start, end] = node.range;
    const source = text.slice(start, end);
    if (!value.includes('\n')) {
      if (node.type === 'PLAIN' && source === value) return at(start + index);
      if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && source.slice(1, -1) === value) return at(start + 1 + index);
    }
    if (node.type === 'BLOCK_LITERAL') {
      const before = value.slice(0, index);
      const lineInValue = before.split('\n').length - 1;
      const colInLine = index - (before.lastIndexOf('\n') + 1);
      const header = at(start);
      const firstContent = text.slice(text.indexOf('\n', start) + 1);
      const indent = /^( *)\S/m.exec(firstContent)?.[1]?.length ?? 0;
      return { line: header.line + 1 + lineInValue, col: indent + colInLine + 1 };
    }
    return locate(path);
  };
}

function findNode(doc: Document, path: readonly PathSegment[]): unknown {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (loadYaml().isAlias(node)) node = node.resolve(doc);
    if (loadYaml().isMap(node)) node = node.items.findLast((item) => loadYaml().isPair(item) && keyOf(item.key) === String(segment))?.value;
    else if (loadYaml().isSeq(node) && typeof segment === 'number') node = node.items[segment];
    else return undefined;
  }
  return loadYaml().isAlias(node) ? node.resolve(doc) : node;
}

function keyOf(key: unknown): string | undefined {
  if (loadYaml().isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | undefined)?.range;
  return range ? range[0] : undefined;
}

/** Every document of a multi-document YAML text as plain values (for scenario files, --values, fixtures). */
export function parseYamlDocuments(text: string, file = '<yaml>'): unknown[] {
  const nesting = findDeepNesting(text, file);
  if (nesting) throw new RunbookError(`${file}: invalid YAML`, [nesting]);
  const lineCounter = new (loadYaml().LineCounter)();
  const docs = loadYaml().parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const diagnostics: Diagnostic[] = [];
  for (const doc of list) {
    const overflow = findStackOverflow(doc.errors);
    if (overflow !== undefined) {
      const { line, col } = lineCounter.linePos(overflow);
      throw new RunbookError(`${file}: invalid YAML`, [{ file, line, col, path: '(yaml)', message: describeDeepNesting() }]);
    }
    for (const error of doc.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      diagnostics.push({ file, line, col, path: '(yaml)', message: describeYamlError(error.message) });
    }
  }
  if (diagnostics.length > 0) throw new RunbookError(`${file}: invalid YAML`, diagnostics);
  // empty documents (a trailing `---`, as in many manifest files) are dropped
  return list.map((doc) => doc.toJS({ maxAliasCount: MAX_ALIASES }) as unknown).filter((value) => value !== null && value !== undefined);
}

/** YAML text for a plain value (for `opsbook` outputs and generated files). */
export function stringifyYaml(value: unknown): string {
  return loadYaml().stringify(value, { lineWidth: 0 });
}
