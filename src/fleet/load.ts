// Reading a fleet file: YAML → schema → cross-field checks → each listed cluster's kubeconfig and context, every
// problem in one pass at file:line:col (RunbookError, exit 2) before any cluster is touched; then normalisation.

import path from 'node:path';
import { RunbookError, type Diagnostic } from '../errors.js';
import { readUserText } from '../files/read-user-file.js';
import { formatPath, validateAgainstSchema, type PathSegment } from '../schema/index.js';
import { parseDuration } from '../time/duration.js';
import { parseYamlWithPositions, type Locate } from '../yaml/index.js';
import { readKubeconfigContexts, type KubeconfigRead } from './kubeconfig.js';
import { fleetSchema } from './schema.js';
import { parseLabelSelector, type LabelSelector } from './selector.js';
import type { FleetCluster, FleetStrategy, WavePause, WaveSize } from './types.js';
import { parseSizeText } from './waves.js';

/** Discovery as the fleet file asks for it (run when the fleet is resolved). */
export interface DiscoverSpec {
  contexts?: { kubeconfig?: string; match: string; labels: Record<string, string>; origin: string };
  clusterApi?: { kubeconfig?: string; context?: string; namespace?: string; origin: string };
}

/** A validated fleet file: listed clusters (kubeconfigs checked), discovery still to do, the selector parsed. */
export interface FleetFileSpec {
  name: string;
  file: string;
  clusters: FleetCluster[];
  discover: DiscoverSpec;
  selector: LabelSelector;
  strategy: FleetStrategy;
}

export interface FleetLoadOptions {
  env: Record<string, string | undefined>;
  homeDir: string;
  /** --kubeconfig: used by entries that name none. */
  kubeconfig?: string;
  /** @default readKubeconfigContexts */
  readContexts?: typeof readKubeconfigContexts;
  /** false: listed clusters' kubeconfigs are not read (a rehearsal puts a simulation behind every cluster). @default true */
  checkKubeconfigs?: boolean;
}

/** One entry of a fleet file's `clusters:` as written (before defaults and checks). */
export interface RawCluster {
  name: string;
  kubeconfig?: string;
  context?: string;
  labels?: Record<string, string>;
  inputs?: Record<string, unknown>;
  deadline?: string;
}

interface RawFleet {
  metadata: { name: string };
  spec: {
    clusters?: RawCluster[];
    discover?: {
      contexts?: { kubeconfig?: string; match?: string; labels?: Record<string, string> };
      clusterAPI?: { kubeconfig?: string; context?: string; namespace?: string };
    };
    selector?: string;
    strategy?: { waves?: (number | string)[]; maxParallel?: number; maxFailures?: number | string; pause?: string; order?: 'listed' | { label: string } };
  };
}

type Report = (at: PathSegment[], message: string, target?: 'key' | 'value') => void;

/** Reads and validates a fleet file; throws RunbookError with every problem, sorted by position. */
export async function loadFleetFile(file: string, options: FleetLoadOptions): Promise<FleetFileSpec> {
  // Unreadable, special (FIFO, device), too large or not UTF-8: a usage error (exit 2), as for a runbook.
  const text = await readUserText(file);
  return loadFleetText(text, file, options);
}

/** Same as loadFleetFile, from text already in memory. */
export async function loadFleetText(text: string, file: string, options: FleetLoadOptions): Promise<FleetFileSpec> {
  const parsed = parseYamlWithPositions(text, file);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const report: Report = (at, message, target = 'value') => diagnostics.push({ file, ...parsed.locate(at, target), path: formatPath(at), message });
  if (parsed.diagnostics.length === 0 && (parsed.value === undefined || parsed.value === null)) {
    report([], 'the file is empty: expected a fleet (apiVersion: opsbook.dev/v1, kind: Fleet, metadata, spec)');
  }
  if (parsed.value !== undefined && parsed.value !== null) {
    for (const issue of validateAgainstSchema(fleetSchema, parsed.value)) diagnostics.push({ file, ...parsed.locate(issue.at, issue.target), path: formatPath(issue.path), message: issue.message });
  }
  if (isMap(parsed.value) && isMap(parsed.value.spec)) {
    // The cross-field rules run beside the schema's (one pass), on what is well-formed enough, minus paths it reported.
    const reported = new Set(diagnostics.map((d) => d.path));
    checkFleet(parsed.value as unknown as RawFleet, (at, message, target) => {
      if (!reported.has(formatPath(at))) report(at, message, target);
    });
  }
  if (diagnostics.length === 0) {
    const raw = parsed.value as RawFleet;
    if (options.checkKubeconfigs ?? true) await checkKubeconfigs(raw, file, options, report);
    if (diagnostics.length === 0) return normalizeFleet(raw, file, parsed.locate);
  }
  diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
  throw new RunbookError(`${file}: ${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}`, diagnostics);
}

/** Cross-field rules the schema cannot express. */
function checkFleet(raw: RawFleet, report: Report): void {
  const seen = new Map<string, number>();
  const listed = Array.isArray(raw.spec.clusters) ? raw.spec.clusters : [];
  listed.forEach((c, i) => {
    if (!isMap(c)) return;
    const first = seen.get(c.name);
    if (first !== undefined) report(['spec', 'clusters', i, 'name'], `duplicate cluster name "${c.name}" (already spec.clusters[${first}])`);
    else seen.set(c.name, i);
    if (c.kubeconfig === undefined && c.context === undefined) report(['spec', 'clusters', i], 'needs a kubeconfig, a context or both');
  });
  if (listed.length === 0 && !isMap(raw.spec.discover?.contexts) && !isMap(raw.spec.discover?.clusterAPI)) {
    report(['spec'], 'names no cluster: list spec.clusters or use spec.discover');
  }
  if (typeof raw.spec.selector === 'string') {
    const parsed = parseLabelSelector(raw.spec.selector);
    if ('error' in parsed) report(['spec', 'selector'], `invalid label selector: ${parsed.error}`);
  }
  const strategy = isMap(raw.spec.strategy) ? raw.spec.strategy : {};
  (Array.isArray(strategy.waves) ? strategy.waves : []).forEach((w, i) => {
    if (typeof w !== 'number' && typeof w !== 'string') return;
    const size = parseSizeText(w);
    if (!size || ('percent' in size && (size.percent <= 0 || size.percent > 100)) || ('count' in size && size.count < 1)) {
      report(['spec', 'strategy', 'waves', i], `must be a count ≥ 1 or a percentage in (0%, 100%] (got ${JSON.stringify(w)})`);
    }
  });
  if (typeof strategy.maxFailures === 'number' || typeof strategy.maxFailures === 'string') {
    const budget = parseSizeText(strategy.maxFailures);
    if (!budget || ('percent' in budget && budget.percent > 100)) report(['spec', 'strategy', 'maxFailures'], `must be a count ≥ 0 or a percentage up to 100% (got ${JSON.stringify(strategy.maxFailures)})`);
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every listed cluster's kubeconfig is read and its context looked up now: a typo is exit 2, not a failed cluster. */
async function checkKubeconfigs(raw: RawFleet, file: string, options: FleetLoadOptions, report: Report): Promise<void> {
  const read = options.readContexts ?? readKubeconfigContexts;
  const cache = new Map<string, Promise<KubeconfigRead>>();
  const lookup = (kubeconfig: string | undefined) => {
    const resolved = resolveKubeconfigPath(kubeconfig, file) ?? options.kubeconfig;
    const key = resolved ?? '';
    let found = cache.get(key);
    if (!found) cache.set(key, (found = read({ kubeconfigPath: resolved, env: options.env, homeDir: options.homeDir })));
    return found;
  };
  const check = async (at: PathSegment[], kubeconfig: string | undefined, context: string | undefined) => {
    const result = await lookup(kubeconfig);
    if (!result.ok) return report(kubeconfig !== undefined ? [...at, 'kubeconfig'] : at, result.problem);
    const name = context ?? result.value.current;
    if (name === undefined) return report(at, `kubeconfig ${result.value.label} has no current-context: name a context`);
    if (!result.value.contexts.includes(name)) {
      report(context !== undefined ? [...at, 'context'] : at, `kubeconfig ${result.value.label} has no context "${name}" (known: ${result.value.contexts.join(', ') || 'none'})`);
    }
  };
  const clusters = raw.spec.clusters ?? [];
  for (let i = 0; i < clusters.length; i++) await check(['spec', 'clusters', i], clusters[i]!.kubeconfig, clusters[i]!.context);
  const capi = raw.spec.discover?.clusterAPI;
  if (capi) await check(['spec', 'discover', 'clusterAPI'], capi.kubeconfig, capi.context);
  const contexts = raw.spec.discover?.contexts;
  if (contexts) {
    const result = await lookup(contexts.kubeconfig);
    if (!result.ok) report(['spec', 'discover', 'contexts', ...(contexts.kubeconfig !== undefined ? ['kubeconfig'] : [])], result.problem);
  }
}

/** Kubeconfig paths in a fleet file are relative to the file, as kubectl resolves a kubeconfig's own paths. */
export function resolveKubeconfigPath(kubeconfig: string | undefined, fleetFile: string): string | undefined {
  return kubeconfig === undefined ? undefined : path.resolve(path.dirname(path.resolve(fleetFile)), kubeconfig);
}

function normalizePause(pause: string | undefined): WavePause {
  if (pause === undefined) return { kind: 'none' };
  if (pause === 'manual') return { kind: 'manual' };
  return { kind: 'delay', ms: parseDuration(pause)! };
}

function normalizeFleet(raw: RawFleet, file: string, locate: Locate): FleetFileSpec {
  const where = (at: PathSegment[]) => {
    const { line, col } = locate(at, 'value');
    return `${file}:${line}:${col}`;
  };
  const clusters: FleetCluster[] = (raw.spec.clusters ?? []).map((c, i) => {
    const kubeconfig = resolveKubeconfigPath(c.kubeconfig, file);
    const deadlineMs = c.deadline === undefined ? undefined : parseDuration(c.deadline);
    return {
      name: c.name,
      connection: { kind: 'kubeconfig', ...(kubeconfig ? { kubeconfig } : {}), ...(c.context ? { context: c.context } : {}) },
      labels: { ...c.labels },
      inputs: { ...c.inputs },
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      origin: where(['spec', 'clusters', i]),
    };
  });
  const discover: DiscoverSpec = {};
  const contexts = raw.spec.discover?.contexts;
  if (contexts) {
    const kubeconfig = resolveKubeconfigPath(contexts.kubeconfig, file);
    discover.contexts = { ...(kubeconfig ? { kubeconfig } : {}), match: contexts.match ?? '*', labels: { ...contexts.labels }, origin: where(['spec', 'discover', 'contexts']) };
  }
  const capi = raw.spec.discover?.clusterAPI;
  if (capi) {
    const kubeconfig = resolveKubeconfigPath(capi.kubeconfig, file);
    discover.clusterApi = {
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(capi.context ? { context: capi.context } : {}),
      ...(capi.namespace ? { namespace: capi.namespace } : {}),
      origin: where(['spec', 'discover', 'clusterAPI']),
    };
  }
  const selector = raw.spec.selector === undefined ? [] : (parseLabelSelector(raw.spec.selector) as { selector: LabelSelector }).selector;
  const s = raw.spec.strategy ?? {};
  const order = s.order;
  return {
    name: raw.metadata.name,
    file,
    clusters,
    discover,
    selector,
    strategy: {
      waves: (s.waves ?? ['100%']).map((w) => parseSizeText(w) as WaveSize),
      maxParallel: s.maxParallel ?? 10,
      maxFailures: s.maxFailures === undefined ? { count: 0 } : parseSizeText(s.maxFailures)!,
      pause: normalizePause(s.pause),
      ...(typeof order === 'object' ? { orderByLabel: order.label } : {}),
    },
  };
}

/** The strategy of a fleet given by flags only (`--contexts`): one wave, 10 at a time, no failure tolerated. */
export const DEFAULT_STRATEGY: FleetStrategy = { waves: [{ percent: 100 }], maxParallel: 10, maxFailures: { count: 0 }, pause: { kind: 'none' } };
