// `opsbook runs`: the runs in the state directory, newest first (id, runbook, status, started, duration).

import type { Command } from 'commander';
import { escapeControl, escapeJsonControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, type CommonFlags } from '../options.js';

type RunsFlags = Pick<CommonFlags, 'stateDir' | 'state' | 'kubeconfig' | 'context' | 'output'>;

export function registerRunsCommand(program: Command): void {
  const command = program
    .command('runs')
    .description('list runs (and fleet runs) recorded in the state directory; with FLEET_ID, the clusters of that fleet run')
    .argument('[fleet-id]', 'a fleet run id (fleet-…) shown by `opsbook runs`');
  addCommonOptions(command, ['kubeconfig', 'context', 'stateDir', 'state', 'output'], 'tty/plain (table) or json')
    .action(async (fleetId: string | undefined, flags: RunsFlags) => {
      const io = getProcessIo();
      process.exitCode = fleetId === undefined ? await runsCommand(flags, io) : await (await import('../fleet-runs.js')).fleetRunsCommand(fleetId, flags, io);
    });
}

export async function runsCommand(flags: RunsFlags, io: CliIo): Promise<number> {
  const [{ listRuns }, { openFleetState }, { systemClock }, { formatDurationHuman }, { formatTable }] = await Promise.all([
    import('../../engine/index.js'),
    import('../fleet-state.js'),
    import('../../time/clock.js'),
    import('../../time/duration.js'),
    import('../../ui/table.js'),
  ]);
  // Fleet runs are kept beside their clusters' runs: in the state directory or the namespace.
  const { runs: store, fleets: fleetStore, where } = await openFleetState(flags, io, systemClock, 'read');
  const runs = await listRuns(store);
  const fleets = await (await import('../fleet-runs.js')).listFleetRuns(fleetStore);
  if (flags.output === 'json') {
    // Fleet runs (fleetId) join the runs (runId), newest first; without fleets the list is as it always was.
    const all = fleets.length === 0 ? runs : [...runs, ...fleets].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    io.stdout.write(`${escapeJsonControl(JSON.stringify(all, null, 2))}\n`);
    return 0;
  }
  if (runs.length === 0 && fleets.length === 0) {
    io.stdout.write(`no runs in ${escapeControl(where)}\n`);
    return 0;
  }
  // Ids, names and paths come from run.json files anyone may have written: escaped before they reach the terminal.
  const rows = runs.map((r) => [
    escapeControl(r.runId),
    escapeControl(`${r.runbook.name} (${r.runbook.path})`),
    r.waiting ? `waiting for approval: ${r.waiting.map((w) => `${escapeControl(w.stepId)} since ${w.since}`).join(', ')}` : r.status,
    r.startedAt,
    r.durationMs === undefined ? '-' : formatDurationHuman(r.durationMs),
  ]);
  const fleetRows = fleets.map((f) => [
    escapeControl(f.fleetId),
    escapeControl(`${f.runbook.name} on fleet ${f.fleet} (${f.clusters} cluster${f.clusters === 1 ? '' : 's'})`),
    f.status,
    f.startedAt,
    formatDurationHuman(f.durationMs),
  ]);
  const [, ...lines] = formatTable({ title: '', columns: ['run', 'runbook', 'status', 'started', 'duration'], rows: [...fleetRows, ...rows] });
  io.stdout.write(`${lines.map((l) => l.slice(2)).join('\n')}\n`);
  return 0;
}
