// A fleet run's events as spans: a root span for the fleet, a child per wave, below it one per cluster, and under each
// cluster span that cluster's run (createRunSpans with the cluster span as parent). Times are the events' own.

import type { FleetEvent } from '../fleet/index.js';
import type { Masker } from '../secrets/index.js';
import { createRunSpans, type RunSpans } from './spans.js';
import type { Attributes, FleetTraceScope, SpanFactory, TraceSpan } from './types.js';

export interface FleetSpans {
  handle(event: FleetEvent): void;
  /** The run spans of one cluster, under its cluster span (opened here if its cluster-start has not come yet). */
  cluster(name: string, context: string | undefined, nowMs: number): RunSpans;
  /** Ends every span still open (a fleet run cut short) at `nowMs`. */
  finish(nowMs: number): void;
}

interface ClusterSpans {
  span: TraceSpan;
  /** Its run's spans, once the run started. */
  runs?: RunSpans;
}

export function createFleetSpans(factory: SpanFactory, masker: Masker, scope: FleetTraceScope): FleetSpans {
  let root: TraceSpan | undefined;
  let fleetId: string | undefined;
  const waves = new Map<number, TraceSpan>();
  const clusters = new Map<string, ClusterSpans>();
  const mask = (attributes: Attributes): Attributes => {
    const out: Attributes = {};
    for (const [key, value] of Object.entries(attributes)) out[key] = typeof value === 'string' ? masker.text(value) : value;
    return out;
  };
  const start = (name: string, startMs: number, attributes: Attributes, parent?: TraceSpan) =>
    factory.startSpan(masker.text(name), { startMs, attributes: mask({ 'opsbook.fleet.id': fleetId, ...attributes }), ...(parent ? { parent } : {}) });

  const openCluster = (name: string, wave: number | undefined, t: number): ClusterSpans => {
    const attributes = { 'opsbook.fleet.cluster': name, 'opsbook.cluster.name': name, 'opsbook.fleet.wave': wave };
    const entry: ClusterSpans = { span: start(`cluster ${name}`, t, attributes, (wave !== undefined ? waves.get(wave) : undefined) ?? root) };
    clusters.set(name, entry);
    return entry;
  };

  const handlers: { [K in FleetEvent['type']]?: (event: Extract<FleetEvent, { type: K }>, timeMs: number) => void } = {
    'fleet-start': (e, t) => {
      fleetId = e.fleetId;
      root = start(`fleet ${e.fleet}`, t, {
        'opsbook.fleet.name': e.fleet,
        'opsbook.runbook.name': e.runbook,
        'opsbook.runbook.path': scope.runbook.path,
        'opsbook.runbook.sha256': scope.runbook.sha256,
        'opsbook.fleet.waves': e.waves.length,
        'opsbook.fleet.clusters': e.waves.reduce((n, w) => n + w.clusters.length, 0),
        'opsbook.fleet.max_parallel': e.maxParallel,
        'opsbook.fleet.max_failures': e.maxFailures,
        'opsbook.fleet.resumed': e.resumed,
        'opsbook.rehearsal.scenario': scope.rehearsal?.scenario,
      });
    },
    'wave-start': (e, t) => void waves.set(e.wave, start(`wave ${e.wave}`, t, { 'opsbook.fleet.wave': e.wave, 'opsbook.fleet.wave.id': e.id, 'opsbook.fleet.wave.clusters': e.clusters.length }, root)),
    'wave-gate': (e, t) => root?.addEvent('opsbook.fleet.gate', mask({ 'opsbook.fleet.wave.id': e.id, 'opsbook.gate.state': e.state, 'opsbook.gate.by': e.by }), t),
    'wave-pause': (e, t) => root?.addEvent('opsbook.fleet.pause', { 'opsbook.fleet.wave.id': e.id, 'opsbook.fleet.pause_ms': e.ms }, t),
    'budget-exceeded': (e, t) => root?.addEvent('opsbook.fleet.budget_exceeded', { 'opsbook.fleet.failures': e.failures, 'opsbook.fleet.max_failures': e.maxFailures }, t),
    'wave-end': (e, t) => {
      const span = waves.get(e.wave);
      if (!span) return;
      span.setAttributes({ 'opsbook.fleet.succeeded': e.succeeded, 'opsbook.fleet.failed': e.failed, 'opsbook.fleet.interrupted': e.interrupted, 'opsbook.fleet.not_started': e.notStarted });
      if (e.failed > 0) span.fail(`${e.failed} cluster${e.failed === 1 ? '' : 's'} failed`);
      span.end(t);
      waves.delete(e.wave);
    },
    'cluster-start': (e, t) => void (clusters.get(e.cluster) ?? openCluster(e.cluster, e.wave, t)),
    'cluster-end': (e, t) => {
      const entry = clusters.get(e.cluster);
      if (!entry) return;
      entry.runs?.finish(t);
      entry.span.setAttributes(mask({ 'opsbook.cluster.status': e.status, 'opsbook.run.id': e.runId, 'opsbook.cluster.failed_step': e.failedStep, 'opsbook.cluster.error': e.error }));
      if (e.status !== 'succeeded') entry.span.fail(masker.text(e.error ?? e.status));
      entry.span.end(t);
      clusters.delete(e.cluster);
    },
    'fleet-end': (e, t) => {
      endOpen(t);
      if (!root) return;
      root.setAttributes(
        mask({ 'opsbook.fleet.status': e.status, 'opsbook.fleet.reason': e.reason, 'opsbook.fleet.succeeded': e.counts.succeeded, 'opsbook.fleet.failed': e.counts.failed, 'opsbook.fleet.interrupted': e.counts.interrupted, 'opsbook.fleet.not_started': e.counts.notStarted }),
      );
      if (e.status !== 'succeeded') root.fail(masker.text(e.reason ?? e.status));
      root.end(t);
      root = undefined;
    },
  };

  const endOpen = (t: number) => {
    for (const entry of clusters.values()) {
      entry.runs?.finish(t);
      entry.span.end(t);
    }
    clusters.clear();
    for (const span of waves.values()) span.end(t);
    waves.clear();
  };

  return {
    handle(event) {
      const handler = handlers[event.type] as ((e: FleetEvent, t: number) => void) | undefined;
      handler?.(event, Date.parse(event.time));
    },
    cluster(name, context, nowMs) {
      const entry = clusters.get(name) ?? openCluster(name, undefined, nowMs);
      entry.runs ??= createRunSpans(factory, masker, { secrets: scope.secrets, ...(context ? { context } : {}), ...(fleetId ? { fleet: { id: fleetId, cluster: name } } : {}), ...(scope.rehearsal ? { rehearsal: scope.rehearsal } : {}) }, entry.span);
      return entry.runs;
    },
    finish(nowMs) {
      endOpen(nowMs);
      root?.setAttributes({ 'opsbook.fleet.status': 'interrupted' });
      root?.end(nowMs);
      root = undefined;
    },
  };
}
