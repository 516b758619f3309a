// `--only/--skip/--from/--from-run` (run and plan): flags in, the engine's step selection out, refused (exit 2) before anything runs.

import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { StepSelection } from '../engine/index.js';
import type { Runbook } from '../runbook/types.js';
import type { RunStore } from '../store/index.js';

export interface SelectionFlags {
  only: string[];
  skip: string[];
  /** Steps to run again with everything downstream; the rest is reused from --from-run (plan previews `resume --from`). */
  from?: string[];
  fromRun?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Adds --only, --skip and --from-run. */
export function addSelectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--only <steps>', 'run only these steps (a,b or repeated); the rest are reused from --from-run or skipped').argParser(collect).default([]))
    .addOption(new Option('--skip <steps>', 'do not run these steps (a,b or repeated); reused from --from-run or skipped').argParser(collect).default([]))
    .addOption(new Option('--from <steps>', 'run these steps and everything downstream of them; the rest is reused from --from-run (what `resume --from` would do)').argParser(collect).default([]))
    .addOption(new Option('--from-run <run-id>', 'steps not selected reuse their journaled outcome (and outputs) from this run'));
}

/** The selection the flags ask for, or undefined when they ask for none (every step runs). */
/** `earlierRuns` opens the store --from-run reads: the run's own (local or kubernetes://), never assumed local. */
export async function resolveSelection(
  flags: SelectionFlags,
  runbook: Runbook,
  earlierRuns: () => Promise<RunStore>,
  warn: (text: string) => void,
): Promise<StepSelection | undefined> {
  const { selectSteps, splitStepIds, readEarlierRun, checkStepIds } = await import('../engine/index.js');
  const only = splitStepIds(flags.only);
  const skip = splitStepIds(flags.skip);
  const from = splitStepIds(flags.from ?? []);
  if (from.length > 0) {
    if (only.length > 0) throw new UsageError('--from selects the steps to run itself; it cannot be combined with --only');
    if (flags.fromRun === undefined) throw new UsageError('--from: the steps upstream of it are reused from an earlier run; pass --from-run RUN_ID');
    checkStepIds(runbook, from, '--from');
  }
  if (only.length === 0 && skip.length === 0 && from.length === 0) {
    if (flags.fromRun !== undefined) throw new UsageError('--from-run: reuses the steps --only/--skip leave out; pass one of them too');
    return undefined;
  }
  const fromRun = flags.fromRun === undefined ? undefined : await readEarlierRun(await earlierRuns(), flags.fromRun);
  if (fromRun?.runbookSha256 !== undefined && fromRun.runbookSha256 !== runbook.sha256) {
    warn(`warning: --from-run ${fromRun.runId} ran a different version of ${runbook.file}; its reused outputs may not match the steps as they are now`);
  }
  return selectSteps(runbook, { only, skip, ...(from.length > 0 ? { from } : {}), ...(fromRun ? { fromRun } : {}) });
}
