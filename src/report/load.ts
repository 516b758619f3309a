// Builds a report from what the stores keep: a run's journal and metadata, or a fleet record and its clusters' runs.

import { UsageError } from '../errors.js';
import type { FleetStore, RunStore } from '../store/index.js';
import { buildRunReport } from './build.js';
import type { FleetReport, Report, RunReport } from './model.js';

export async function loadRunReport(store: RunStore, runId: string): Promise<RunReport> {
  if (!(await store.has(runId))) throw new UsageError(`no run ${runId} (looked for ${store.locate(runId)})`);
  const [{ events, tornTail }, metadata] = await Promise.all([store.read(runId), store.readMetadata(runId)]);
  return buildRunReport(events, { tornTail, secretInputs: metadata?.secretInputs ?? [] });
}

export async function loadFleetReport(fleets: FleetStore, store: RunStore, fleetId: string): Promise<FleetReport> {
  const record = await fleets.readFleet(fleetId);
  if (!record) throw new UsageError(`no fleet run ${fleetId}`);
  const interrupted = record.status === 'running' && !(await fleets.isFleetActive(fleetId));
  const clusters = await Promise.all(
    record.clusters.map(async (c) => {
      const run = c.runId !== undefined && (await store.has(c.runId)) ? await loadRunReport(store, c.runId) : undefined;
      return {
        name: c.name, wave: c.wave, status: c.status,
        ...(c.runId !== undefined ? { runId: c.runId } : {}),
        ...(c.failedStep !== undefined ? { failedStep: c.failedStep } : {}),
        ...(c.error !== undefined ? { error: c.error } : {}),
        ...(c.durationMs !== undefined ? { durationMs: c.durationMs } : {}),
        ...(run ? { run } : {}),
      };
    }),
  );
  const stepIds: string[] = [];
  for (const c of clusters) for (const s of c.run?.steps ?? []) if (!stepIds.includes(s.id)) stepIds.push(s.id);
  return {
    kind: 'fleet', fleetId, fleet: record.fleet.name, runbook: record.runbook,
    status: interrupted ? 'interrupted' : record.status, interrupted,
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    startedAt: record.startedAt, updatedAt: record.updatedAt, stepIds, clusters,
  };
}

/** A run id or a fleet id (`fleet-…`), whichever the stores hold; `fleets` absent: a store that keeps no fleet runs. */
export async function loadReport(stores: { runs: RunStore; fleets?: FleetStore; where?: string }, id: string): Promise<Report> {
  if (id.startsWith('fleet-')) {
    if (stores.fleets && (await stores.fleets.readFleet(id))) return loadFleetReport(stores.fleets, stores.runs, id);
    throw new UsageError(`no fleet run ${id}${stores.where ? ` in ${stores.where}` : ''}${stores.fleets ? '' : ' (it keeps no fleet runs)'}`);
  }
  if (await stores.runs.has(id)) return loadRunReport(stores.runs, id);
  throw new UsageError(`no run or fleet run ${id} (looked for ${stores.runs.locate(id)})`);
}
