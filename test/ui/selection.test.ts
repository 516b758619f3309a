import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { formatEvent } from '../../src/ui/format-event.js';
import { renderTty } from './capture.js';
import { VirtualClock } from '../../src/time/clock.js';

const runId = '20260101-000000-000-abcdef';
const earlier = '20251231-000000-000-fedcba';
const time = '2026-01-01T00:00:00.000Z';

// A `run --only approve --from-run EARLIER --skip audit` run: inventory reused, audit not selected, approve runs.
const events: EngineEvent[] = [
  {
    type: 'run-start', time, runId,
    runbook: { path: 'runbooks/demo.yaml', name: 'demo', sha256: 'f00' },
    inputs: {},
    steps: [
      { id: 'inventory', name: 'inventory', type: 'shell', needs: [] },
      { id: 'audit', name: 'audit', type: 'shell', needs: [] },
      { id: 'approve', name: 'approve', type: 'shell', needs: ['inventory'] },
    ],
    selection: { only: ['approve'], fromRun: earlier },
  },
  { type: 'step-end', time, runId, stepId: 'inventory', status: 'succeeded', outputs: { hosts: 'a' }, reason: 'not selected (--only)', reused: true, reusedFrom: earlier },
  { type: 'step-end', time, runId, stepId: 'audit', status: 'skipped', outputs: {}, reason: `not selected (--only); it did not run in run ${earlier}`, skip: 'selection' },
  { type: 'step-start', time, runId, stepId: 'approve' },
  { type: 'step-end', time, runId, stepId: 'approve', status: 'succeeded', outputs: {}, durationMs: 5 },
  { type: 'run-end', time, runId, status: 'succeeded', durationMs: 5 },
];

describe('renderers on a partial run', () => {
  it('plain lines name the selection, the run a step was reused from, and why a step did not run', () => {
    const lines = events.flatMap((e) => formatEvent(e, { durations: false }));
    expect(lines).toContain(`selection: --only approve, reusing run ${earlier}`);
    expect(lines).toContain(`inventory: reused from run ${earlier} (succeeded, outputs reused): not selected (--only)`);
    expect(lines).toContain(`audit: skipped: not selected (--only); it did not run in run ${earlier}`);
  });

  it('the live tree says "reused from run X" and "skipped (not selected …)"', async () => {
    const { text } = await renderTty(events, new VirtualClock(), 'simple');
    expect(text).toContain(`inventory (reused from run ${earlier})`);
    expect(text).toContain(`audit: skipped (not selected (--only); it did not run in run ${earlier})`);
  });
});
