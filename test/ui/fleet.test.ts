import { describe, expect, it } from 'vitest';
import { groupFailures, type FleetEvent } from '../../src/fleet/index.js';
import { formatFleetSummary } from '../../src/ui/fleet-format.js';
import { createFleetView, renderFleetView, updateFleetView } from '../../src/ui/fleet-tty.js';

const T = '2026-01-01T00:00:00.000Z';

describe('fleet summary', () => {
  it('groups identical failures by step and message, largest first, each with its clusters', () => {
    const failed = [
      ...Array.from({ length: 37 }, (_, i) => ({ cluster: `eu-${i + 1}`, failedStep: 'approve-client', error: 'step approve-client failed: CSR refused' })),
      { cluster: 'us-1', error: 'cannot reach cluster us-1 (https://10.0.0.1:6443): connect ECONNREFUSED' },
      { cluster: 'us-2', failedStep: 'approve-client', error: 'other message' },
    ];
    const lines = formatFleetSummary({
      type: 'fleet-end',
      time: T,
      fleetId: 'fleet-x',
      status: 'failed',
      counts: { succeeded: 60, failed: 39, interrupted: 0, notStarted: 1 },
      durationMs: 90_000,
      failures: groupFailures(failed),
    });
    expect(lines[0]).toBe('fleet fleet-x failed in 1m30s: 60 succeeded, 39 failed, 1 not started');
    expect(lines[1]).toBe('step approve-client failed on 37 clusters: step approve-client failed: CSR refused');
    expect(lines[2]).toBe(`  ${Array.from({ length: 20 }, (_, i) => `eu-${i + 1}`).join(', ')} and 17 more`);
    expect(lines.slice(3)).toEqual([
      'failed on 1 cluster: cannot reach cluster us-1 (https://10.0.0.1:6443): connect ECONNREFUSED',
      '  us-1',
      'step approve-client failed on 1 cluster: other message',
      '  us-2',
      'resume with: opsbook resume fleet-x',
    ]);
  });
});

describe('fleet live table', () => {
  const start = (clusters: number): ReturnType<typeof createFleetView> => {
    const view = createFleetView();
    const names = Array.from({ length: clusters }, (_, i) => `c${i + 1}`);
    const event: FleetEvent = { type: 'fleet-start', time: T, fleetId: 'fleet-x', fleet: 'f', runbook: 'r', waves: [{ id: 'wave-1', clusters: names.slice(0, 1) }, { id: 'wave-2', clusters: names.slice(1) }], maxParallel: 2, maxFailures: 1, resumed: false };
    updateFleetView(view, event, 0);
    updateFleetView(view, { type: 'wave-start', time: T, wave: 2, id: 'wave-2', clusters: names.slice(1) }, 0);
    updateFleetView(view, { type: 'cluster-start', time: T, cluster: 'c2', wave: 2 }, 1000);
    updateFleetView(view, { type: 'cluster-event', time: T, cluster: 'c2', event: { type: 'step-start', time: T, runId: 'r1', stepId: 'approve-client' } }, 1000);
    updateFleetView(view, { type: 'cluster-start', time: T, cluster: 'c3', wave: 2 }, 1000);
    updateFleetView(view, { type: 'cluster-end', time: T, cluster: 'c3', wave: 2, status: 'failed', failedStep: 'nodes-ready', durationMs: 500 }, 1500);
    return view;
  };

  it('shows every cluster with its wave, status, current step and elapsed time under the wave and budget headers', () => {
    const lines = renderFleetView(start(4), 4000, 40);
    expect(lines).toEqual([
      'fleet fleet-x  wave 2/2  failures 1/1 tolerated',
      '1 running, 0 succeeded, 1 failed, 2 pending',
      'CLUSTER  WAVE    STATUS   STEP            ELAPSED',
      'c1       wave-1  pending',
      'c2       wave-2  running  approve-client  3s',
      'c3       wave-2  failed   nodes-ready     500ms',
      'c4       wave-2  pending',
    ]);
  });

  it('lists only the running clusters when all no longer fit, then only the counts', () => {
    const view = start(30);
    expect(renderFleetView(view, 4000, 10)).toEqual([
      'fleet fleet-x  wave 2/2  failures 1/1 tolerated',
      '1 running, 0 succeeded, 1 failed, 28 pending',
      'CLUSTER  WAVE    STATUS   STEP            ELAPSED',
      'c2       wave-2  running  approve-client  3s',
      '… and 29 not running (counts above)',
    ]);
    expect(renderFleetView(view, 4000, 5)).toEqual(['fleet fleet-x  wave 2/2  failures 1/1 tolerated', '1 running, 0 succeeded, 1 failed, 28 pending']);
  });
});
