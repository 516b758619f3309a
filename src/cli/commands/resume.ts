// `opsbook resume RUN_ID`: continue a failed or interrupted run; finished steps keep their recorded outputs.

import type { Command } from 'commander';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addRunOptions, resolveColor, resolveOutputMode, resolveStateDir } from '../options.js';
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
  const [{ prepareRun }, { runSession }, { createKubeFactory }, { prepareChildEnv }, { resumeRunbook, readRunMetadata, isRunId }, { systemClock }] =
    await Promise.all([
      import('../prepare.js'),
      import('../session.js'),
      import('../kube.js'),
      import('../child-env.js'),
      import('../../engine/index.js'),
      import('../../time/clock.js'),
    ]);
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  if (!isRunId(runId)) throw new UsageError(`${runId} is not a run id (see \`opsbook runs\`)`);
  const metadata = await readRunMetadata(stateDir, runId);
  if (!metadata) throw new UsageError(`no run ${runId} in ${stateDir} (see \`opsbook runs\`)`);
  // Secrets were never stored: they come again from env/file or a prompt; the other inputs from the run's record.
  const prepared = await prepareRun(metadata.runbook.path, { set: flags.set, valuesFile: flags.values, baseValues: metadata.inputs }, io);
  const clock = systemClock;
  const kubeconfigPath = flags.kubeconfig ? path.resolve(io.cwd, flags.kubeconfig) : undefined;
  const kube = createKubeFactory({ kubeconfigPath, context: flags.context, env: io.env, clock });
  // Shell steps' kubectl must reach the cluster --context chose, like built-in steps do.
  const childEnv = prepareChildEnv({ env: io.env, kubeconfigPath, context: flags.context });
  try {
    const { exitCode } = await runSession({
      io,
      runbook: prepared.runbook,
      runId,
      clock,
      mode: resolveOutputMode(flags.output, io.stdout.isTTY),
      color: resolveColor(flags.color, io.env, io.stdout.isTTY),
      kube,
      approvals: flags.approve,
      breakLock: flags.breakLock ?? false,
      start: (ui) =>
        resumeRunbook({
          ...ui,
          runId,
          allowChanged: flags.allowChanged ?? false,
          runbook: prepared.runbook,
          inputs: prepared.inputs,
          secretValues: prepared.secretValues,
          registry: prepared.registry,
          stateDir,
          clock,
          kube,
          env: childEnv.env,
          cwd: io.cwd,
          concurrency: flags.concurrency,
        }),
    });
    return exitCode;
  } finally {
    childEnv.dispose();
  }
}
