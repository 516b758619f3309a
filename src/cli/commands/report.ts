// `opsbook report RUN_ID|FLEET_ID [--format html|markdown|junit] [-o FILE]`, and the `--report FILE` that run/rehearse write.

import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { ReportFormat } from '../../report/index.js';
import type { FleetStore, RunStore } from '../../store/index.js';
import { escapeControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, type CommonFlags } from '../options.js';

type StoreFlags = Pick<CommonFlags, 'kubeconfig' | 'context' | 'stateDir' | 'state'> & Partial<Pick<CommonFlags, 'as' | 'asGroup'>>;

interface ReportFlags extends StoreFlags {
  format: ReportFormat;
  output?: string;
  out?: string;
}

/** What a report is read from: a run store (either backend), and the fleet records kept beside it when it has them. */
export interface ReportStores {
  runs: RunStore;
  fleets?: FleetStore;
  /** The store, for messages: a state directory or kubernetes://NS. */
  where: string;
}

const FORMATS = ['html', 'markdown', 'junit'];

export function registerReportCommand(program: Command): void {
  const command = program
    .command('report')
    .description('write a report of a finished or interrupted run (or fleet run) from its journal: HTML page, Markdown summary or JUnit XML')
    .argument('<id>', 'a run id or fleet run id shown by `opsbook runs`')
    .addOption(new Option('--format <format>', 'html (one self-contained page), markdown (ticket/PR summary) or junit (CI test report)').choices(FORMATS).default('markdown'))
    .option('-o, --out <file>', 'write the report to FILE (default: standard output)');
  addCommonOptions(command, ['kubeconfig', 'context', 'stateDir', 'state', 'as', 'asGroup'])
    .action(async (id: string, flags: ReportFlags) => {
      process.exitCode = await reportCommand(id, flags, getProcessIo());
    });
}

export async function reportCommand(id: string, flags: ReportFlags, io: CliIo): Promise<number> {
  const [{ isRunId }, { isFleetId }] = await Promise.all([import('../../engine/index.js'), import('../../fleet/index.js')]);
  // Before any store is opened: an id that is neither would only fail later, in a label selector or a file name.
  if (!isRunId(id) && !isFleetId(id)) throw new UsageError(`${id} is not a run id or fleet run id (see \`opsbook runs\`)`);
  const text = await renderStoredReport(await openReportStores(flags, io), id, flags.format);
  if (flags.out === undefined) io.stdout.write(text);
  else {
    await writeReportText(path.resolve(io.cwd, flags.out), text);
    io.stderr.write(`report: wrote ${escapeControl(flags.out)} (${flags.format})\n`);
  }
  return 0;
}

/** The store the flags name (--state kubernetes://NS, $OPSBOOK_STATE, else the state directory), read-only. */
export async function openReportStores(flags: StoreFlags, io: Pick<CliIo, 'env' | 'cwd'>): Promise<ReportStores> {
  const [{ openFleetState }, { systemClock }] = await Promise.all([import('../fleet-state.js'), import('../../time/clock.js')]);
  // Fleet records are kept beside the runs, in the state directory or the namespace.
  const { runs, fleets, where } = await openFleetState(flags, io, systemClock, 'read');
  return { runs, fleets, where };
}

async function renderStoredReport(stores: ReportStores, id: string, format: ReportFormat): Promise<string> {
  const { loadReport, renderReport } = await import('../../report/index.js');
  return renderReport(await loadReport(stores, id), format);
}

async function writeReportText(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text, { mode: 0o644 });
  } catch (error) {
    throw new UsageError(`cannot write the report to ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** `--report FILE [--report-format F]` as run and rehearse take them: the format, checked before anything runs. */
export async function resolveReportRequest(file: string | undefined, format: string | undefined, cwd: string): Promise<{ file: string; format: ReportFormat } | undefined> {
  if (file === undefined) {
    if (format !== undefined) throw new UsageError('--report-format needs --report FILE');
    return undefined;
  }
  if (format !== undefined && !FORMATS.includes(format)) throw new UsageError(`--report-format must be one of ${FORMATS.join(', ')} (got ${format})`);
  const { reportFormatOf } = await import('../../report/index.js');
  return { file: path.resolve(cwd, file), format: (format as ReportFormat | undefined) ?? reportFormatOf(file) };
}

/** Writes the report of a run (or fleet run) that just ended or was interrupted; a failure to write is said, not thrown, so the run's exit code stands. */
export async function writeRunReport(request: { file: string; format: ReportFormat }, stores: ReportStores, id: string, io: CliIo): Promise<boolean> {
  try {
    await writeReportText(request.file, await renderStoredReport(stores, id, request.format));
    io.stderr.write(`report: wrote ${escapeControl(request.file)} (${request.format})\n`);
    return true;
  } catch (error) {
    io.stderr.write(`report: could not write ${escapeControl(request.file)}: ${escapeControl((error as Error).message)}\n`);
    return false;
  }
}

/** Adds `--report FILE` and `--report-format` to run, resume and rehearse. */
export function addReportOptions(command: Command): Command {
  return command
    .option('--report <file>', 'when the run ends (succeeded, failed or interrupted), write its report to FILE: .html, .md or .xml (JUnit)')
    .addOption(new Option('--report-format <format>', 'the report format when FILE\'s extension does not say it').choices(FORMATS));
}
