// `opsbook plan FILE [--only/--skip/--from-run]`: what a run would do — waves, policies, worst case vs deadline, step previews, what would run or be reused. No side effects.

import type { Command } from 'commander';
import path from 'node:path';
import { escapeControl, escapeJsonControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, impersonationOf, type CommonFlags } from '../options.js';
import { addSelectionOptions, resolveSelection, type SelectionFlags } from '../selection.js';
import { addFleetOptions, type FleetOptionFlags } from '../fleet-options.js';
import { UsageError } from '../../errors.js';

type PlanFlags = Pick<CommonFlags, 'kubeconfig' | 'context' | 'stateDir' | 'set' | 'values' | 'concurrency' | 'output'> & Partial<Pick<CommonFlags, 'as' | 'asGroup'>> & Partial<SelectionFlags> & FleetOptionFlags & { offline?: boolean };

export function registerPlanCommand(program: Command): void {
  const command = program.command('plan').description('show what a run would do, without doing anything').argument('<file>', 'runbook YAML file');
  // --approve and --no-color are accepted but change nothing: plan writes no state and uses no colour.
  // --state-dir is where --from-run's journal is read.
  addSelectionOptions(addCommonOptions(command, ['kubeconfig', 'context', 'stateDir', 'set', 'values', 'concurrency', 'output'], 'tty/plain (text) or json'))
    .option('--offline', 'fleet: contact no cluster (the previews are reported as offline)');
  addFleetOptions(command).action(async (file: string, flags: PlanFlags) => {
    process.exitCode = await planCommand(file, flags, getProcessIo());
  });
}

export async function planCommand(file: string, flags: PlanFlags, io: CliIo): Promise<number> {
  if (flags.fleet !== undefined || flags.contexts !== undefined) return (await import('../fleet-plan.js')).planFleetCommand(file, flags, io);
  if (flags.offline) throw new UsageError('--offline plans a fleet without contacting its clusters (with --fleet or --contexts); a single plan without a cluster: omit --kubeconfig');
  const [{ prepareRun }, { createKubeFactory }, { prepareChildEnv }, { planRunbook }, { formatPlan }, { systemClock }] = await Promise.all([
    import('../prepare.js'),
    import('../kube.js'),
    import('../child-env.js'),
    import('../../engine/index.js'),
    import('../../ui/plan.js'),
    import('../../time/clock.js'),
  ]);
  const prepared = await prepareRun(file, { set: flags.set, valuesFile: flags.values }, io);
  // --from-run reads the store the run was kept in ($OPSBOOK_STATE may name a cluster one), read-only.
  const earlierRuns = async () => (await (await import('../state-dir.js')).openRunStore(flags, io, systemClock, 'read')).store;
  const selection = await resolveSelection({ only: flags.only ?? [], skip: flags.skip ?? [], from: flags.from ?? [], fromRun: flags.fromRun }, prepared.runbook, earlierRuns, (text) =>
    void io.stderr.write(`${text}\n`),
  );
  const kubeconfigPath = flags.kubeconfig ? path.resolve(io.cwd, flags.kubeconfig) : undefined;
  const childEnv = prepareChildEnv({ env: io.env, kubeconfigPath, context: flags.context, impersonate: impersonationOf(flags) });
  let plan;
  try {
    plan = await planRunbook({
      runbook: prepared.runbook,
      inputs: prepared.inputs,
      secretValues: prepared.secretValues,
      registry: prepared.registry,
      clock: systemClock,
      kube: createKubeFactory({ kubeconfigPath, context: flags.context, env: io.env, clock: systemClock, impersonate: impersonationOf(flags) }),
      env: childEnv.env,
      cwd: io.cwd,
      concurrency: flags.concurrency,
      ...(selection ? { selection } : {}),
    });
  } finally {
    childEnv.dispose();
  }
  if (flags.output === 'json') io.stdout.write(`${escapeJsonControl(JSON.stringify(plan, null, 2))}\n`);
  else io.stdout.write(`${formatPlan(plan).map((line) => escapeControl(line)).join('\n')}\n`);
  return 0;
}
