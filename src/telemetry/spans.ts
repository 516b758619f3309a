// The engine's events as spans: a root span per run, a span per step, a child span per attempt; gates and refusals
// as span events. Times are the events' own (the run's clock), so a rehearsal's scaled clock gives consistent spans.

import type { EngineEvent, ReportTable } from '../engine/events.js';
import type { Masker } from '../secrets/index.js';
import { createSpanKit, dispatchByType, type EventHandlers } from './span-kit.js';
import type { Attributes, SpanFactory, TraceScope, TraceSpan } from './types.js';

export interface RunSpans {
  handle(event: EngineEvent): void;
  setServer(url: string): void;
  /** Ends every span still open (a run cut short before its run-end) at `nowMs`. */
  finish(nowMs: number): void;
}

interface OpenStep {
  span: TraceSpan;
  attempt?: { span: TraceSpan; startMs: number };
}

/** Builds spans from events as they come; every string attribute goes through `masker`. `parent`: a fleet's cluster span. */
export function createRunSpans(factory: SpanFactory, masker: Masker, scope: TraceScope, parent?: TraceSpan): RunSpans {
  let root: TraceSpan | undefined;
  let server: string | undefined;
  const steps = new Map<string, OpenStep>();
  const stepInfo = new Map<string, { name: string; type: string }>();
  // On every span, so a fleet's step spans can be filtered by cluster without walking up to the root.
  const common: Attributes = { 'opsbook.fleet.id': scope.fleet?.id, 'opsbook.fleet.cluster': scope.fleet?.cluster };
  const { mask, start, end } = createSpanKit(factory, masker, () => common);

  const openStep = (stepId: string, startMs: number): OpenStep => {
    const info = stepInfo.get(stepId);
    const step = { span: start(`step ${stepId}`, startMs, { 'opsbook.step.id': stepId, 'opsbook.step.name': info?.name, 'opsbook.step.type': info?.type }, root) };
    steps.set(stepId, step);
    return step;
  };

  const handlers: EventHandlers<EngineEvent> = {
    'run-start': (e, t) => {
      for (const s of e.steps) stepInfo.set(s.id, { name: s.name, type: s.type });
      root = start(`run ${e.runbook.name}`, t, {
        'opsbook.run.id': e.runId,
        'opsbook.runbook.name': e.runbook.name,
        'opsbook.runbook.path': e.runbook.path,
        'opsbook.runbook.sha256': e.runbook.sha256,
        'opsbook.run.deadline': e.deadline,
        'opsbook.run.resumed_from': e.resumedFrom,
        'opsbook.cluster.context': scope.context,
        'opsbook.cluster.server': server,
        'opsbook.rehearsal.scenario': scope.rehearsal?.scenario,
      }, parent);
    },
    'step-start': (e, t) => void openStep(e.stepId, t),
    'attempt-start': (e, t) => {
      const step = steps.get(e.stepId) ?? openStep(e.stepId, t);
      const attributes = { 'opsbook.step.id': e.stepId, 'opsbook.attempt.number': e.attempt, 'opsbook.attempt.max_attempts': e.maxAttempts, 'opsbook.attempt.timeout_ms': e.timeoutMs };
      step.attempt = { span: start(`attempt ${e.attempt}`, t, attributes, step.span), startMs: t };
    },
    'attempt-end': (e, t) => {
      const step = steps.get(e.stepId);
      const attempt = step?.attempt;
      if (!step || !attempt) return;
      const attributes = { 'opsbook.attempt.outcome': e.ok ? 'succeeded' : 'failed', 'opsbook.attempt.retry_class': e.errorClass, 'opsbook.attempt.error': e.error, 'opsbook.attempt.retry_in_ms': e.retryInMs };
      end(attempt.span, t, attributes, e.ok ? undefined : (e.error ?? 'failed'));
      step.attempt = undefined;
    },
    'step-approval': (e, t) => {
      const step = steps.get(e.stepId);
      const target = step?.attempt?.span ?? step?.span ?? root;
      // How long the gate held the step: from its attempt's start to the answer.
      const waited = step?.attempt ? t - step.attempt.startMs : undefined;
      target?.addEvent('opsbook.gate', mask({ 'opsbook.step.id': e.stepId, 'opsbook.gate.approved': e.approved, 'opsbook.gate.by': e.by, 'opsbook.gate.waited_ms': waited }), t);
    },
    'step-report': (e, t) => {
      const step = steps.get(e.stepId);
      const target = step?.attempt?.span ?? step?.span ?? root;
      for (const [name, attributes] of reportEvents(e.stepId, e.table)) target?.addEvent(name, mask(attributes), t);
    },
    'step-end': (e, t) => {
      const step = steps.get(e.stepId) ?? openStep(e.stepId, t);
      step.attempt?.span.end(t);
      const attributes = { 'opsbook.step.status': e.status, 'opsbook.step.reason': e.reason, 'opsbook.step.skip': e.skip, 'opsbook.step.reused': e.reused, 'opsbook.step.reused_from': e.reusedFrom, 'opsbook.step.error_class': e.errorClass };
      end(step.span, t, attributes, e.status === 'failed' ? (e.reason ?? 'failed') : undefined);
      steps.delete(e.stepId);
    },
    'run-end': (e, t) => {
      endOpenSteps(t);
      if (!root) return;
      end(root, t, { 'opsbook.run.status': e.status, 'opsbook.run.error': e.error }, e.status === 'succeeded' ? undefined : (e.error ?? e.status));
      root = undefined;
    },
  };

  const endOpenSteps = (t: number) => {
    for (const step of steps.values()) {
      step.attempt?.span.end(t);
      step.span.end(t);
    }
    steps.clear();
  };

  return {
    handle: dispatchByType(handlers),
    setServer(url) {
      if (server !== undefined) return;
      server = url;
      root?.setAttributes(mask({ 'opsbook.cluster.server': url }));
    },
    finish(nowMs) {
      endOpenSteps(nowMs);
      if (root) end(root, nowMs, { 'opsbook.run.status': 'interrupted' });
      root = undefined;
    },
  };
}

/** A refusal table (title "Refused …", e.g. the CSR steps') gives one event per row; any other table, one event. */
function reportEvents(stepId: string, table: ReportTable): [string, Attributes][] {
  if (!/^refused\b/i.test(table.title)) return [['opsbook.report', { 'opsbook.step.id': stepId, 'opsbook.report.title': table.title, 'opsbook.report.rows': table.rows.length }]];
  return table.rows.map((row) => {
    const attributes: Attributes = { 'opsbook.step.id': stepId, 'opsbook.refusal.table': table.title };
    table.columns.forEach((column, i) => (attributes[`opsbook.refusal.${column.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`] = row[i]));
    return ['opsbook.refusal', attributes];
  });
}
