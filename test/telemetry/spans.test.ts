// The event → span mapping on its own: skipped and reused steps, a run cut short, report tables, masking; a fleet's nesting.

import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import type { FleetEvent } from '../../src/fleet/index.js';
import { createMasker } from '../../src/secrets/index.js';
import { createFleetSpans } from '../../src/telemetry/fleet-spans.js';
import { createRunSpans } from '../../src/telemetry/spans.js';
import type { Attributes, SpanFactory, TraceSpan } from '../../src/telemetry/types.js';

interface Recorded {
  name: string;
  parent?: Recorded;
  startMs: number;
  endMs?: number;
  attributes: Attributes;
  events: { name: string; attributes: Attributes; timeMs: number }[];
  failed?: string;
}

/** A span factory that keeps what it is told, in order. */
function recorder(): { factory: SpanFactory; spans: Recorded[] } {
  const spans: Recorded[] = [];
  const handles = new Map<TraceSpan, Recorded>();
  const factory: SpanFactory = {
    startSpan(name, { startMs, attributes, parent }) {
      const span: Recorded = { name, startMs, attributes: { ...attributes }, events: [], ...(parent ? { parent: handles.get(parent)! } : {}) };
      spans.push(span);
      const handle: TraceSpan = {
        setAttributes: (a) => Object.assign(span.attributes, a),
        addEvent: (n, a, timeMs) => span.events.push({ name: n, attributes: a, timeMs }),
        fail: (message) => (span.failed = message),
        end: (timeMs) => (span.endMs = timeMs),
      };
      handles.set(handle, span);
      return handle;
    },
  };
  return { factory, spans };
}

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const SECRET = 'hunter2-is-the-password';
const base = { runId: 'r1' };
const runStart = (time: string): EngineEvent => ({
  ...base,
  type: 'run-start',
  time,
  runbook: { path: '/rb.yaml', name: 'rb', sha256: 'a'.repeat(64) },
  inputs: {},
  steps: [
    { id: 'approve', name: 'Approve', type: 'approve-client-csrs', needs: [] },
    { id: 'later', name: 'Later', type: 'shell', needs: ['approve'] },
    { id: 'old', name: 'Old', type: 'shell', needs: [] },
  ],
});

describe('createRunSpans', () => {
  it('nests attempts in steps in the run, at the events\' own times, and fails what failed', () => {
    const { factory, spans } = recorder();
    const trace = createRunSpans(factory, createMasker([SECRET]), { secrets: [SECRET], fleet: { id: 'f1', cluster: 'east' } });
    const events: EngineEvent[] = [
      runStart(at(0)),
      { ...base, type: 'step-start', time: at(1), stepId: 'approve' },
      { ...base, type: 'attempt-start', time: at(1), stepId: 'approve', attempt: 1, maxAttempts: 2, timeoutMs: 60_000 },
      { ...base, type: 'attempt-end', time: at(3), stepId: 'approve', attempt: 1, ok: false, errorClass: 'transient', error: `token ${SECRET} refused`, retryInMs: 5000 },
      { ...base, type: 'attempt-start', time: at(8), stepId: 'approve', attempt: 2, maxAttempts: 2, timeoutMs: 60_000 },
      { ...base, type: 'step-report', time: at(9), stepId: 'approve', table: { title: 'Refused client CSRs', columns: ['CSR', 'node', 'requestor', 'reason'], rows: [['csr-1', 'evil-0', 'system:sa', 'unknown machine']] } },
      { ...base, type: 'step-report', time: at(9), stepId: 'approve', table: { title: 'Approved', columns: ['CSR'], rows: [['csr-2'], ['csr-3']] } },
      { ...base, type: 'attempt-end', time: at(10), stepId: 'approve', attempt: 2, ok: false, errorClass: 'permanent', error: 'no' },
      { ...base, type: 'step-end', time: at(10), stepId: 'approve', status: 'failed', reason: 'no' },
      { ...base, type: 'step-end', time: at(10), stepId: 'later', status: 'skipped', skip: 'needs', reason: 'needs approve, which failed' },
      { ...base, type: 'step-end', time: at(0), stepId: 'old', status: 'succeeded', reused: true },
      { ...base, type: 'run-end', time: at(11), status: 'failed', error: 'step approve failed', durationMs: 11_000 },
    ];
    for (const e of events) trace.handle(e);

    const [root, approve, first, second, later, old] = spans;
    expect(spans.map((s) => [s.name, s.parent?.name, s.startMs - T0, s.endMs! - T0])).toEqual([
      ['run rb', undefined, 0, 11_000],
      ['step approve', 'run rb', 1000, 10_000],
      ['attempt 1', 'step approve', 1000, 3000],
      ['attempt 2', 'step approve', 8000, 10_000],
      ['step later', 'run rb', 10_000, 10_000],
      ['step old', 'run rb', 0, 0],
    ]);
    expect(root!.failed).toBe('step approve failed');
    expect(approve!.attributes).toMatchObject({ 'opsbook.step.type': 'approve-client-csrs', 'opsbook.step.status': 'failed', 'opsbook.fleet.cluster': 'east', 'opsbook.fleet.id': 'f1' });
    expect(first!.attributes).toMatchObject({ 'opsbook.attempt.retry_class': 'transient', 'opsbook.attempt.retry_in_ms': 5000, 'opsbook.attempt.error': 'token *** refused' });
    expect(first!.failed).toBe('token *** refused');
    expect(second!.events.map((e) => [e.name, e.attributes['opsbook.refusal.node'] ?? e.attributes['opsbook.report.rows']])).toEqual([
      ['opsbook.refusal', 'evil-0'],
      ['opsbook.report', 2],
    ]);
    expect(later!.attributes).toMatchObject({ 'opsbook.step.status': 'skipped', 'opsbook.step.skip': 'needs' });
    expect(old!.attributes).toMatchObject({ 'opsbook.step.reused': true });
    expect(JSON.stringify(spans.map(({ parent: _p, ...s }) => s))).not.toContain(SECRET);
  });

  it('ends every open span when the run is cut short before its run-end, and marks it interrupted', () => {
    const { factory, spans } = recorder();
    const trace = createRunSpans(factory, createMasker([]), { secrets: [], context: 'prod' });
    trace.handle(runStart(at(0)));
    trace.handle({ ...base, type: 'step-start', time: at(1), stepId: 'approve' });
    trace.handle({ ...base, type: 'attempt-start', time: at(1), stepId: 'approve', attempt: 1, maxAttempts: 1, timeoutMs: 1000 });
    trace.handle({ ...base, type: 'step-approval', time: at(4), stepId: 'approve', approved: true, by: 'alice' });
    trace.setServer('https://api.prod:6443');
    trace.finish(T0 + 5000);
    expect(spans.map((s) => s.endMs! - T0)).toEqual([5000, 5000, 5000]);
    expect(spans[0]!.attributes).toMatchObject({ 'opsbook.run.status': 'interrupted', 'opsbook.cluster.context': 'prod', 'opsbook.cluster.server': 'https://api.prod:6443' });
    expect(spans[2]!.events).toEqual([{ name: 'opsbook.gate', timeMs: T0 + 4000, attributes: expect.objectContaining({ 'opsbook.gate.approved': true, 'opsbook.gate.by': 'alice', 'opsbook.gate.waited_ms': 3000 }) }]);
  });
});

describe('fleet spans', () => {
  const fleetStart: FleetEvent = { type: 'fleet-start', time: at(0), fleetId: 'fleet-1', fleet: 'prod', runbook: 'rb', waves: [{ id: 'wave-1', clusters: ['eu', 'us'] }], maxParallel: 2, maxFailures: 0, resumed: false };

  it('nests fleet → wave → cluster → run, masks a cluster\'s error, and a fleet cut short ends every open span as interrupted', () => {
    const { factory, spans } = recorder();
    const fleet = createFleetSpans(factory, createMasker([SECRET]), { secrets: [SECRET], runbook: { path: '/rb.yaml', sha256: 'a'.repeat(64) } });
    fleet.handle(fleetStart);
    fleet.handle({ type: 'wave-start', time: at(1), wave: 1, id: 'wave-1', clusters: ['eu', 'us'] });
    fleet.handle({ type: 'cluster-start', time: at(1), cluster: 'eu', wave: 1 });
    fleet.handle({ type: 'cluster-start', time: at(1), cluster: 'us', wave: 1 });
    const eu = fleet.cluster('eu', 'ctx-eu', T0 + 1000);
    eu.handle(runStart(at(2)));
    fleet.handle({ type: 'cluster-end', time: at(3), cluster: 'us', wave: 1, durationMs: 2000, status: 'failed', runId: 'r2', error: `no route, token ${SECRET}` });
    fleet.finish(T0 + 9000);

    const named = (name: string) => spans.find((s) => s.name === name)!;
    expect(named('wave 1').parent).toBe(named('fleet prod'));
    expect(named('cluster eu').parent).toBe(named('wave 1'));
    expect(named('run rb').parent).toBe(named('cluster eu'));
    expect(named('run rb').attributes).toMatchObject({ 'opsbook.fleet.id': 'fleet-1', 'opsbook.fleet.cluster': 'eu', 'opsbook.cluster.context': 'ctx-eu' });
    expect(named('cluster us')).toMatchObject({ endMs: T0 + 3000, failed: 'no route, token ***' });
    expect(named('cluster us').attributes['opsbook.cluster.error']).toBe('no route, token ***');
    expect(spans.every((s) => s.endMs !== undefined)).toBe(true);
    expect(named('fleet prod')).toMatchObject({ endMs: T0 + 9000 });
    expect(named('fleet prod').attributes['opsbook.fleet.status']).toBe('interrupted');
    expect(named('run rb').attributes['opsbook.run.status']).toBe('interrupted');
    expect(JSON.stringify(spans.map((s) => [s.attributes, s.failed]))).not.toContain(SECRET);
  });
});
