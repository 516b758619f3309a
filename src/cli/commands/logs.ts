// `opsbook logs RUN_ID [-f]`: a run's live view (tty/plain/json, as `run` shows it) rendered from its journal, in
// either store; with -f it follows the journal until the run ends, from any machine that can read the store.

import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { renderJournal } from '../follow-journal.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, type CommonFlags } from '../options.js';

type LogsFlags = Pick<CommonFlags, 'kubeconfig' | 'context' | 'stateDir' | 'state' | 'output' | 'color'> & { follow?: boolean };

/** How often -f looks for new events (the journal is written once per event-loop turn, so this bounds the lag). */
export const FOLLOW_POLL_MS = 1000;

export function registerLogsCommand(program: Command): void {
  const command = program
    .command('logs')
    .description("render a run's live view from its journal (local state directory or --state kubernetes://NS)")
    .argument('<run-id>', 'id shown by `opsbook runs`')
    .option('-f, --follow', 'keep following the journal until the run ends');
  addCommonOptions(command, ['kubeconfig', 'context', 'stateDir', 'state', 'output', 'color']).action(async (runId: string, flags: LogsFlags) => {
    process.exitCode = await logsCommand(runId, flags, getProcessIo());
  });
}

/** 0 once shown (with -f: 0 when the run succeeded, 1 when it failed, was interrupted or its process died). */
export async function logsCommand(runId: string, flags: LogsFlags, io: CliIo, pollMs = FOLLOW_POLL_MS): Promise<number> {
  const [{ isRunId }, { openRunStore }, { systemClock }] = await Promise.all([
    import('../../engine/index.js'),
    import('../state-dir.js'),
    import('../../time/clock.js'),
  ]);
  if (!isRunId(runId)) throw new UsageError(`${runId} is not a run id (see \`opsbook runs\`)`);
  const clock = systemClock;
  const { store, where } = await openRunStore(flags, io, clock, 'read');
  if (!(await store.has(runId))) throw new UsageError(`no run ${runId} in ${where} (see \`opsbook runs\`)`);
  let crashed = false;
  const status = await renderJournal({
    io,
    output: flags.output,
    color: flags.color,
    store,
    runId,
    clock,
    pollMs,
    done: (ended) => !flags.follow || ended !== undefined,
    // A writer that died leaves no run-end: stop once nobody holds the run and nothing new came.
    quiet: async () => {
      if (await store.isActive(runId)) return 'wait';
      io.stderr.write(`opsbook: run ${runId} is not running (its process is gone); resume it with \`opsbook resume ${runId}\`\n`);
      crashed = true;
      return 'stop';
    },
  });
  if (!flags.follow) return 0;
  return !crashed && status === 'succeeded' ? 0 : 1;
}
