// `opsbook resume RUN_ID`: continue a failed or interrupted run; finished steps keep their recorded outputs.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addRunOptions, resolveStateDir } from '../options.js';
import type { RunFlags } from './run.js';

interface ResumeFlags extends RunFlags {
  allowChanged?: boolean;
}

export function registerResumeCommand(program: Command): void {
  addRunOptions(program.command('resume').description('resume a failed or interrupted run').argument('<run-id>', 'id shown by `opsbook runs`'))
    .option('--allow-changed', 'resume even though the runbook file changed since the run started')
    .option('--break-lock', 'take over the cluster lock (spec.lock) even if another run holds it')
    .action(async (runId: string, flags: ResumeFlags) => {
      process.exitCode = await resumeCommand(runId, flags, getProcessIo());
    });
}

export async function resumeCommand(runId: string, flags: ResumeFlags, io: CliIo): Promise<number> {
  const [{ prepareRun }, { runOnCluster }, { resumeRunbook, readRunMetadata, isRunId }, { systemClock }] = await Promise.all([
    import('../prepare.js'),
    import('../cluster-run.js'),
    import('../../engine/index.js'),
    import('../../time/clock.js'),
  ]);
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  if (!isRunId(runId)) throw new UsageError(`${runId} is not a run id (see \`opsbook runs\`)`);
  const metadata = await readRunMetadata(stateDir, runId);
  if (!metadata) throw new UsageError(`no run ${runId} in ${stateDir} (see \`opsbook runs\`)`);
  // Secrets were never stored: they come again from env/file or a prompt; the other inputs from the run's record.
  const prepared = await prepareRun(metadata.runbook.path, { set: flags.set, valuesFile: flags.values, baseValues: metadata.inputs }, io);
  return runOnCluster({
    io,
    flags,
    prepared,
    runId,
    stateDir,
    clock: systemClock,
    start: (engine) => resumeRunbook({ ...engine, allowChanged: flags.allowChanged ?? false }),
  });
}
