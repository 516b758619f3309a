// A fixed sequence of engine events for renderer tests (a run where b fails and c is skipped).

import type { EngineEvent } from '../../src/engine/events.js';

const runId = '20260101-000000-000-abcdef';
const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000).toISOString();

export const sampleEvents: EngineEvent[] = [
  {
    type: 'run-start', time: at(0), runId,
    runbook: { path: 'runbooks/demo.yaml', name: 'demo', sha256: 'f00' },
    inputs: { nodes: ['worker-0'] },
    deadline: at(3600),
    steps: [
      { id: 'a', name: 'Wait for nodes', type: 'shell', needs: [] },
      { id: 'b', name: 'b', type: 'shell', needs: ['a'] },
      { id: 'c', name: 'c', type: 'shell', needs: ['b'] },
    ],
  },
  { type: 'step-start', time: at(0), runId, stepId: 'a' },
  { type: 'attempt-start', time: at(0), runId, stepId: 'a', attempt: 1, maxAttempts: 2, timeoutMs: 600_000 },
  { type: 'step-progress', time: at(1), runId, stepId: 'a', detail: '1/2 nodes Ready' },
  { type: 'attempt-end', time: at(2), runId, stepId: 'a', attempt: 1, ok: false, errorClass: 'transient', error: 'connection reset', retryInMs: 5000 },
  { type: 'attempt-start', time: at(7), runId, stepId: 'a', attempt: 2, maxAttempts: 2, timeoutMs: 600_000 },
  { type: 'step-log', time: at(8), runId, stepId: 'a', stream: 'stdout', line: 'node worker-0 Ready' },
  { type: 'attempt-end', time: at(9), runId, stepId: 'a', attempt: 2, ok: true },
  { type: 'step-end', time: at(9), runId, stepId: 'a', status: 'succeeded', outputs: { ready: 2 }, durationMs: 9000 },
  { type: 'step-start', time: at(9), runId, stepId: 'b' },
  { type: 'attempt-start', time: at(9), runId, stepId: 'b', attempt: 1, maxAttempts: 1, timeoutMs: 60_000 },
  { type: 'step-log', time: at(9), runId, stepId: 'b', stream: 'stderr', line: 'boom' },
  { type: 'step-report', time: at(10), runId, stepId: 'b', table: { title: 'Refused CSRs', columns: ['csr', 'reason'], rows: [['csr-x', 'wrong requestor']] } },
  { type: 'attempt-end', time: at(10), runId, stepId: 'b', attempt: 1, ok: false, errorClass: 'permanent', error: 'exit code 1' },
  { type: 'step-end', time: at(10), runId, stepId: 'b', status: 'failed', errorClass: 'permanent', reason: 'exit code 1', durationMs: 1000 },
  { type: 'step-end', time: at(10), runId, stepId: 'c', status: 'skipped', reason: 'needs b, which failed' },
  { type: 'run-end', time: at(10), runId, status: 'failed', error: 'step b failed', durationMs: 10_000 },
];

/** A resumed run: `a` succeeded earlier, `s` was skipped earlier by its `when`, `b` runs again; 999ms in all. */
export const resumedEvents: EngineEvent[] = [
  {
    type: 'run-start', time: at(0), runId,
    runbook: { path: 'runbooks/demo.yaml', name: 'demo', sha256: 'f00' },
    inputs: {},
    steps: [
      { id: 'a', name: 'a', type: 'shell', needs: [] },
      { id: 's', name: 'Optional step', type: 'shell', needs: [] },
      { id: 'b', name: 'b', type: 'shell', needs: ['a'] },
    ],
    resumedFrom: runId,
    rerun: [{ stepId: 'b', reason: 'its outputs held a secret, which the journal never stores' }],
  },
  { type: 'step-end', time: at(0), runId, stepId: 'a', status: 'succeeded', outputs: { n: 1 }, reused: true },
  { type: 'step-end', time: at(0), runId, stepId: 's', status: 'skipped', outputs: {}, reason: 'when: false is false', skip: 'when', reused: true },
  { type: 'step-start', time: at(0), runId, stepId: 'b' },
  { type: 'step-end', time: at(1), runId, stepId: 'b', status: 'succeeded', outputs: {}, durationMs: 999 },
  // The run's clock started a moment before run-start was stamped: durationMs, not the timestamps, is the duration.
  { type: 'run-end', time: at(1), runId, status: 'succeeded', durationMs: 999 },
];
