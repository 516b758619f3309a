// `opsbook run FILE`: validate, resolve inputs, take the cluster lock if asked, execute with live output.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addRunOptions, resolveStateDir, type CommonFlags } from '../options.js';
import { addSelectionOptions, resolveSelection, type SelectionFlags } from '../selection.js';
import { addFleetOptions, type FleetOptionFlags } from '../fleet-options.js';
import { addReportOptions, resolveReportRequest, writeRunReport } from './report.js';

export interface RunFlags extends CommonFlags, Partial<SelectionFlags>, FleetOptionFlags {
  breakLock?: boolean;
  report?: string;
  reportFormat?: string;
  /** A run id chosen beforehand (`opsbook submit`'s Job), so a replaced pod finds the run its predecessor started. */
  runId?: string;
  /** A scheduled Job's name: the run id is derived from it (`opsbook submit --schedule`'s pods). */
  runIdFromJob?: string;
  resumeIfExists?: boolean;
}

export function registerRunCommand(program: Command): void {
  const command = addSelectionOptions(addRunOptions(program.command('run').description('validate and execute a runbook').argument('<file>', 'runbook YAML file')))
    .option('--break-lock', 'take over the cluster lock (spec.lock) even if another run holds it')
    .option('--run-id <id>', 'use this run id (made beforehand, e.g. by `opsbook submit`) instead of a new one')
    .option('--run-id-from-job <job>', 'derive the run id from a scheduled Job\'s name (<cronjob>-<unix minutes>), so each of its pods finds the same run')
    .option('--resume-if-exists', 'with --run-id: resume that run when the store already has it (a Job\'s replaced pod)');
  addFleetOptions(addReportOptions(command))
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await runCommand(file, flags, getProcessIo());
    });
}

export async function runCommand(file: string, flags: RunFlags, io: CliIo): Promise<number> {
  if (flags.runIdFromJob !== undefined) {
    if (flags.runId !== undefined) throw new UsageError('--run-id and --run-id-from-job: give one');
    flags = { ...flags, runId: (await import('../../submit/index.js')).runIdForJob(flags.runIdFromJob) };
  }
  if (flags.resumeIfExists && flags.runId === undefined) throw new UsageError('--resume-if-exists needs --run-id (the run to look for)');
  const reportRequest = await resolveReportRequest(flags.report, flags.reportFormat, io.cwd);
  if (flags.fleet !== undefined || flags.contexts !== undefined) return (await import('../fleet-command.js')).runFleetCommand(file, flags, io);
  const [{ prepareRun }, { runOnCluster }, { executeRunbook, createRunId }, { systemClock }, { prepareStateDir, openRunStore }] = await Promise.all([
    import('../prepare.js'),
    import('../cluster-run.js'),
    import('../../engine/index.js'),
    import('../../time/clock.js'),
    import('../state-dir.js'),
  ]);
  const prepared = await prepareRun(file, { set: flags.set, valuesFile: flags.values }, io);
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  prepareStateDir(stateDir);
  const clock = systemClock;
  // The cluster store is checked (namespace, RBAC) before anything runs; the local one is the engine's default.
  const state = await openRunStore(flags, io, clock, 'write');
  if (flags.runId !== undefined && (await checkGivenRunId(flags, state.store, state.where))) {
    return (await import('./resume.js')).resumeCommand(flags.runId, { ...flags, from: [] }, io);
  }
  // Refused (exit 2) here, before the cluster lock is taken or any step runs; --from-run reads this run's own store.
  const selection = await resolveSelection({ only: flags.only ?? [], skip: flags.skip ?? [], from: flags.from ?? [], fromRun: flags.fromRun }, prepared.runbook, async () => state.store, (text) =>
    void io.stderr.write(`${text}\n`),
  );
  const runId = flags.runId ?? createRunId(clock.now());
  const exitCode = await runOnCluster({
    io,
    flags,
    prepared,
    runId,
    stateDir,
    clock,
    ...(state.location.kind === 'kubernetes' ? { store: state.store, ...(state.lost ? { storeLost: state.lost } : {}) } : {}),
    start: (engine) => executeRunbook(engine, selection),
  });
  // Whatever the outcome (failed, interrupted): the report is most wanted when the run went wrong.
  if (reportRequest) await writeRunReport(reportRequest, { runs: state.store, where: state.where }, runId, io);
  return exitCode;
}

/** true when --run-id names a run the store has and --resume-if-exists says to resume it; a bad or taken id is refused. */
async function checkGivenRunId(flags: RunFlags, store: { has(runId: string): Promise<boolean> }, where: string): Promise<boolean> {
  const { isRunId } = await import('../../engine/index.js');
  if (!isRunId(flags.runId!)) throw new UsageError(`--run-id ${flags.runId}: not a run id (YYYYMMDD-HHMMSS-mmm-xxxxxx)`);
  if (!(await store.has(flags.runId!))) return false;
  if (flags.resumeIfExists) return true;
  throw new UsageError(`--run-id ${flags.runId}: ${where} already has that run; resume it (\`opsbook resume ${flags.runId}\`) or pass --resume-if-exists`);
}
