// The report of a fleet run: a cluster × step matrix by wave, a JUnit testsuite per cluster, from the local stores.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadReport, renderReport } from '../../src/report/index.js';
import { openDefaultFleetStore, openDefaultStore } from '../../src/store/default.js';
import type { FleetRecord } from '../../src/store/index.js';
import { journal, step } from './journal.js';
import { junitViolations } from './junit-schemas.js';

const FLEET = 'fleet-20260101-000000-000-abcdef';
let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'opsbook-fleet-report-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function writeRun(runId: string, fail: boolean): Promise<void> {
  const j = journal([step('check'), step('apply', ['check'])]);
  j.stepStart('check').attemptStart('check', 1, 1).at(1000).attemptEnd('check', 1, true).stepEnd('check', 'succeeded');
  if (fail) j.stepStart('apply').attemptStart('apply', 1, 1).at(3000).attemptEnd('apply', 1, false, { error: 'boom', errorClass: 'permanent' }).stepEnd('apply', 'failed', { reason: 'boom' }).runEnd('failed', 3000);
  else j.stepStart('apply').attemptStart('apply', 1, 1).at(2000).attemptEnd('apply', 1, true).stepEnd('apply', 'succeeded').runEnd('succeeded', 2000);
  const writer = await openDefaultStore(dir).openJournal(runId);
  for (const event of j.events) writer.append({ ...event, runId });
  await writer.close();
}

async function writeFleet(): Promise<void> {
  await writeRun('20260101-000001-000-aaaaaa', false);
  await writeRun('20260101-000002-000-bbbbbb', true);
  const cluster = (name: string, wave: number, status: FleetRecord['clusters'][number]['status'], runId?: string) => ({
    name, wave, connection: { kind: 'kubeconfig' as const }, labels: {}, inputs: {}, status, ...(runId ? { runId } : {}),
  });
  await openDefaultFleetStore(dir).writeFleet({
    fleetId: FLEET, fleet: { name: 'prod' }, runbook: { path: '/rb/tour.yaml', name: 'tour' },
    strategy: { maxParallel: 1, maxFailures: 0, pause: { kind: 'none' } }, status: 'failed', reason: 'failure budget spent',
    startedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:05.000Z', passedGates: [],
    clusters: [
      cluster('eu-1', 1, 'succeeded', '20260101-000001-000-aaaaaa'),
      { ...cluster('eu-2', 2, 'failed', '20260101-000002-000-bbbbbb'), failedStep: 'apply', error: 'boom' },
      cluster('us-1', 3, 'pending'),
    ],
  });
}

describe('fleet report', () => {
  it('shows a cluster × step matrix with waves, and a JUnit testsuite per cluster that ran', async () => {
    await writeFleet();
    const report = await loadReport({ runs: openDefaultStore(dir), fleets: openDefaultFleetStore(dir) }, FLEET);
    expect(report.kind).toBe('fleet');
    const md = renderReport(report, 'markdown');
    expect(md.split('\n').filter((l) => l.startsWith('|'))).toEqual([
      '| Wave | Cluster | Status | check | apply |',
      '|---|---|---|---|---|',
      '| 1 | eu-1 | ✔ succeeded | ✔ succeeded | ✔ succeeded |',
      '| 2 | eu-2 | ✖ failed | ✔ succeeded | ✖ failed |',
      '| 3 | us-1 | ○ pending | – | – |',
    ]);
    expect(md).toContain('- eu-2 (apply): boom');

    const xml = renderReport(report, 'junit');
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml).toMatch(/<testsuite name="tour on eu-1 \(run 20260101-000001-000-aaaaaa\)" package="opsbook.tour.eu-1" id="0" [^>]*tests="2" failures="0" errors="0"/);
    expect(xml).toMatch(/<testsuite name="tour on eu-2 \(run 20260101-000002-000-bbbbbb\)" package="opsbook.tour.eu-2" id="1" [^>]*tests="2" failures="1" errors="0"/);
    for (const schema of ['jenkins', 'ant'] as const) expect(junitViolations(xml, schema, dir, `fleet-${schema}.xml`), xml).toEqual([]);

    const html = renderReport(report, 'html');
    expect(html.match(/<td class="cell st-failed"/g)).toHaveLength(2);
    expect(html).toContain('<tr class="wave-3"><td>3</td><td><a href="#cluster-us-1">us-1</a></td>');
    expect(html.match(/<svg class="timeline"/g)).toHaveLength(2);
  });
});
