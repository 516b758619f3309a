// `opsbook resume RUN_ID [--from STEP]`: continue a failed or interrupted run, or re-run part of any run; reused steps keep their recorded outputs.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addRunOptions, resolveStateDir } from '../options.js';
import { escapeControl } from '../../ui/escape.js';
import type { RunFlags } from './run.js';
import { addReportOptions, resolveReportRequest, writeRunReport } from './report.js';

interface ResumeFlags extends RunFlags {
  allowChanged?: boolean;
  force?: boolean;
  from: string[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerResumeCommand(program: Command): void {
  const command = addRunOptions(
    program
      .command('resume')
      .description('resume a failed or interrupted run, or re-run part of any run (--from)')
      .argument('<run-id>', 'id shown by `opsbook runs` (a fleet id resumes the clusters of that fleet run that did not succeed)'),
  )
    .option('--from <step>', 're-run this step and everything downstream of it, reusing the rest (repeatable, or a,b); works on succeeded runs too', collect, [])
    .option('--allow-changed', 'resume even though the runbook file changed since the run started')
    .option('--break-lock', 'take over the cluster lock (spec.lock) even if another run holds it')
    .option('--force', 'resume although the crashed run (its owner or its step processes) was on another host and cannot be checked');
  addReportOptions(command).action(async (runId: string, flags: ResumeFlags) => {
    process.exitCode = await resumeCommand(runId, flags, getProcessIo());
  });
}

export async function resumeCommand(runId: string, flags: ResumeFlags, io: CliIo): Promise<number> {
  // Refused (exit 2) before anything is claimed or run; the report covers the whole run, earlier attempts included.
  const reportRequest = await resolveReportRequest(flags.report, flags.reportFormat, io.cwd);
  if (runId.startsWith('fleet-')) {
    if (flags.from.length > 0) throw new UsageError('--from re-runs steps of one run; resume a cluster\'s own run for that (see `opsbook runs FLEET_ID`)');
    return (await import('../fleet-command.js')).resumeFleetCommand(runId, flags, io);
  }
  const [{ prepareRun }, { runOnCluster }, { resumeRunbook, isRunId, checkStepIds, splitStepIds }, { systemClock }, { prepareStateDir, openRunStore }] = await Promise.all([
    import('../prepare.js'),
    import('../cluster-run.js'),
    import('../../engine/index.js'),
    import('../../time/clock.js'),
    import('../state-dir.js'),
  ]);
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  if (!isRunId(runId)) throw new UsageError(`${runId} is not a run id (see \`opsbook runs\`)`);
  const { store, where, lost } = await openRunStore(flags, io, systemClock, 'write');
  const metadata = await store.readMetadata(runId);
  if (!metadata) throw new UsageError(`no run ${runId} in ${where} (see \`opsbook runs\`)`);
  // A file or unwritable directory is a usage error here, not a raw errno from the claim or the journal.
  prepareStateDir(stateDir);
  // Claimed before anything else (the cluster lock included): of two resumes of one run, exactly one goes on.
  // In the cluster a live claim is a lease its holder renews: --break-lock (or --force) takes it over.
  const claim = await store.claim(runId, { force: (flags.force ?? false) || (lost !== undefined && (flags.breakLock ?? false)) });
  if (claim.notice) io.stderr.write(`opsbook: ${escapeControl(claim.notice)}\n`);
  try {
    // Secrets were never stored: they come again from env/file or a prompt; the other inputs from the run's record.
    const prepared = await prepareRun(metadata.runbook.path, { set: flags.set, valuesFile: flags.values, baseValues: metadata.inputs }, io);
    const from = splitStepIds(flags.from);
    // An unknown --from step is refused before the cluster lock is taken or anything runs.
    checkStepIds(prepared.runbook, from, '--from');
    const exitCode = await runOnCluster({
      io,
      flags,
      prepared,
      runId,
      stateDir,
      store,
      ...(lost ? { storeLost: lost } : {}),
      clock: systemClock,
      start: (engine) =>
        resumeRunbook({
          ...engine,
          allowChanged: flags.allowChanged ?? false,
          claim,
          force: flags.force ?? false,
          from,
          onNotice: (text) => void io.stderr.write(`${escapeControl(text)}\n`),
        }),
    });
    if (reportRequest) await writeRunReport(reportRequest, { runs: store, where }, runId, io);
    return exitCode;
  } finally {
    await claim.release();
  }
}
