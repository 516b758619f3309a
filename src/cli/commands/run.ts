// `opsbook run FILE`: validate, resolve inputs, take the cluster lock if asked, execute with live output.

import type { Command } from 'commander';
import path from 'node:path';
import { getProcessIo, type CliIo } from '../io.js';
import { addRunOptions, resolveColor, resolveOutputMode, resolveStateDir, type CommonFlags } from '../options.js';

export interface RunFlags extends CommonFlags {
  breakLock?: boolean;
}

export function registerRunCommand(program: Command): void {
  addRunOptions(program.command('run').description('validate and execute a runbook').argument('<file>', 'runbook YAML file'))
    .option('--break-lock', 'take over the cluster lock (spec.lock) even if another run holds it')
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await runCommand(file, flags, getProcessIo());
    });
}

export async function runCommand(file: string, flags: RunFlags, io: CliIo): Promise<number> {
  const [{ prepareRun }, { runSession }, { createKubeFactory }, { prepareChildEnv }, { executeRunbook }, { createRunId }, { systemClock }] =
    await Promise.all([
      import('../prepare.js'),
      import('../session.js'),
      import('../kube.js'),
      import('../child-env.js'),
      import('../../engine/index.js'),
      import('../../engine/journal/paths.js'),
      import('../../time/clock.js'),
    ]);
  const prepared = await prepareRun(file, { set: flags.set, valuesFile: flags.values }, io);
  const clock = systemClock;
  const kubeconfigPath = flags.kubeconfig ? path.resolve(io.cwd, flags.kubeconfig) : undefined;
  const kube = createKubeFactory({ kubeconfigPath, context: flags.context, env: io.env, clock });
  // Shell steps' kubectl must reach the cluster --context chose, like built-in steps do.
  const childEnv = prepareChildEnv({ env: io.env, kubeconfigPath, context: flags.context });
  try {
    const { exitCode } = await runSession({
      io,
      runbook: prepared.runbook,
      runId: createRunId(clock.now()),
      clock,
      mode: resolveOutputMode(flags.output, io.stdout.isTTY),
      color: resolveColor(flags.color, io.env, io.stdout.isTTY),
      kube,
      approvals: flags.approve,
      breakLock: flags.breakLock ?? false,
      start: (ui) =>
        executeRunbook({
          ...ui,
          runbook: prepared.runbook,
          inputs: prepared.inputs,
          secretValues: prepared.secretValues,
          registry: prepared.registry,
          stateDir: resolveStateDir(flags.stateDir, io.env, io.cwd),
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
