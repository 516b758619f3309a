// Fleet runs for `opsbook runs`: one line per fleet run in the list, and `runs FLEET_ID`'s per-cluster table
// (cluster, wave, status, failed step, duration, run id).

import { UsageError } from '../errors.js';
import type { FleetRecord, FleetStore } from '../store/index.js';
import { escapeControl, escapeJsonControl } from '../ui/escape.js';
import type { CliIo } from './io.js';
import type { CommonFlags } from './options.js';

export interface FleetRunSummary {
  fleetId: string;
  fleet: string;
  runbook: { name: string; path: string };
  /** 'crashed': it stopped without ending (its process was killed): resume it. */
  status: FleetRecord['status'] | 'crashed';
  startedAt: string;
  durationMs: number;
  clusters: number;
  counts: Record<FleetRecord['clusters'][number]['status'], number>;
}

function summarize(record: FleetRecord, active: boolean): FleetRunSummary {
  const counts = { pending: 0, running: 0, succeeded: 0, failed: 0, interrupted: 0 };
  for (const c of record.clusters) counts[c.status]++;
  return {
    fleetId: record.fleetId,
    fleet: record.fleet.name,
    runbook: record.runbook,
    status: record.status === 'running' && !active ? 'crashed' : record.status,
    startedAt: record.startedAt,
    durationMs: Date.parse(record.updatedAt) - Date.parse(record.startedAt),
    clusters: record.clusters.length,
    counts,
  };
}

/** Newest first. */
export async function listFleetRuns(store: FleetStore): Promise<FleetRunSummary[]> {
  const summaries: FleetRunSummary[] = [];
  for (const id of await store.listFleets()) {
    const record = await store.readFleet(id).catch(() => undefined);
    if (record) summaries.push(summarize(record, await store.isFleetActive(id)));
  }
  return summaries;
}

export async function fleetRunsCommand(fleetId: string, flags: Pick<CommonFlags, 'stateDir' | 'state' | 'kubeconfig' | 'context' | 'output'> & Partial<Pick<CommonFlags, 'as' | 'asGroup'>>, io: CliIo): Promise<number> {
  const [{ openFleetState }, { systemClock }, { formatDurationHuman }, { formatTable }] = await Promise.all([import('./fleet-state.js'), import('../time/clock.js'), import('../time/duration.js'), import('../ui/table.js')]);
  const { fleets: store, where } = await openFleetState(flags, io, systemClock, 'read');
  const record = await store.readFleet(fleetId);
  if (!record) throw new UsageError(`no fleet run ${fleetId} in ${where} (see \`opsbook runs\`)`);
  if (flags.output === 'json') {
    io.stdout.write(`${escapeJsonControl(JSON.stringify(record, null, 2))}\n`);
    return 0;
  }
  const s = summarize(record, await store.isFleetActive(fleetId));
  io.stdout.write(
    `${escapeControl(`fleet ${record.fleetId}: ${record.runbook.name} on ${record.fleet.name}, ${s.status}${record.reason ? ` (${record.reason})` : ''}; ` +
      `${s.counts.succeeded} succeeded, ${s.counts.failed} failed, ${s.counts.interrupted + s.counts.running} interrupted, ${s.counts.pending} not started`)}\n`,
  );
  // Cluster names, steps and errors come from files and clusters: escaped before they reach the terminal.
  const rows = record.clusters.map((c) => [
    escapeControl(c.name),
    `wave-${c.wave}`,
    c.status,
    escapeControl(c.failedStep ?? (c.status === 'failed' && c.error ? c.error.slice(0, 60) : '-')),
    c.durationMs === undefined ? '-' : formatDurationHuman(c.durationMs),
    c.runId ?? '-',
  ]);
  const [, ...lines] = formatTable({ title: '', columns: ['cluster', 'wave', 'status', 'failed step', 'duration', 'run'], rows });
  io.stdout.write(`${lines.map((l) => l.slice(2)).join('\n')}\n`);
  return 0;
}
