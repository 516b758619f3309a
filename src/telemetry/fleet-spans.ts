// A fleet run's events as spans: a root span for the fleet, a child per wave, below it one per cluster, and under each
// cluster span that cluster's run (createRunSpans with the cluster span as parent). Times are the events' own.

import type { FleetEvent } from '../fleet/index.js';
import type { Masker } from '../secrets/index.js';
import { createRunSpans, type RunSpans } from './spans.js';
import { createSpanKit, dispatchByType, type EventHandlers } from './span-kit.js';
import type { FleetTraceScope, SpanFactory, TraceSpan } from './types.js';

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
  const { mask, start, end } = createSpanKit(factory, masker, () => ({ 'opsbook.fleet.id': fleetId }));

  const openCluster = (name: string, wave: number | undefined, t: number): ClusterSpans => {
    const attributes = { 'opsbook.fleet.cluster': name, 'opsbook.cluster.name': name, 'opsbook.fleet.wave': wave };
    const entry: ClusterSpans = { span: start(`cluster ${name}`, t, attributes, (wave !== undefined ? waves.get(wave) : undefined) ?? root) };
    clusters.set(name, entry);
    return entry;
  };

  const handlers: EventHandlers<FleetEvent> = {
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
      const attributes = { 'opsbook.fleet.succeeded': e.succeeded, 'opsbook.fleet.failed': e.failed, 'opsbook.fleet.interrupted': e.interrupted, 'opsbook.fleet.not_started': e.notStarted };
      end(span, t, attributes, e.failed > 0 ? `${e.failed} cluster${e.failed === 1 ? '' : 's'} failed` : undefined);
      waves.delete(e.wave);
    },
    'cluster-start': (e, t) => void (clusters.get(e.cluster) ?? openCluster(e.cluster, e.wave, t)),
    'cluster-end': (e, t) => {
      const entry = clusters.get(e.cluster);
      if (!entry) return;
      entry.runs?.finish(t);
      const attributes = { 'opsbook.cluster.status': e.status, 'opsbook.run.id': e.runId, 'opsbook.cluster.failed_step': e.failedStep, 'opsbook.cluster.error': e.error };
      end(entry.span, t, attributes, e.status === 'succeeded' ? undefined : (e.error ?? e.status));
      clusters.delete(e.cluster);
    },
    'fleet-end': (e, t) => {
      endOpen(t);
      if (!root) return;
      const { counts } = e;
      const attributes = { 'opsbook.fleet.status': e.status, 'opsbook.fleet.reason': e.reason, 'opsbook.fleet.succeeded': counts.succeeded, 'opsbook.fleet.failed': counts.failed, 'opsbook.fleet.interrupted': counts.interrupted, 'opsbook.fleet.not_started': counts.notStarted };
      end(root, t, attributes, e.status === 'succeeded' ? undefined : (e.reason ?? e.status));
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
    handle: dispatchByType(handlers),
    cluster(name, context, nowMs) {
      const entry = clusters.get(name) ?? openCluster(name, undefined, nowMs);
      entry.runs ??= createRunSpans(factory, masker, { secrets: scope.secrets, ...(context ? { context } : {}), ...(fleetId ? { fleet: { id: fleetId, cluster: name } } : {}), ...(scope.rehearsal ? { rehearsal: scope.rehearsal } : {}) }, entry.span);
      return entry.runs;
    },
    finish(nowMs) {
      endOpen(nowMs);
      if (root) end(root, nowMs, { 'opsbook.fleet.status': 'interrupted' });
      root = undefined;
    },
  };
}
