// `opsbook report RUN_ID|FLEET_ID [--format html|markdown|junit] [-o FILE]`, and the `--report FILE` that run/rehearse write.

import { Option, type Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { ReportFormat } from '../../report/index.js';
import { escapeControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addCommonOptions, resolveStateDir } from '../options.js';

interface ReportFlags {
  format: ReportFormat;
  output?: string;
  out?: string;
  stateDir?: string;
}

const FORMATS = ['html', 'markdown', 'junit'];

export function registerReportCommand(program: Command): void {
  const command = program
    .command('report')
    .description('write a report of a finished or interrupted run (or fleet run) from its journal: HTML page, Markdown summary or JUnit XML')
    .argument('<id>', 'a run id or fleet run id shown by `opsbook runs`')
    .addOption(new Option('--format <format>', 'html (one self-contained page), markdown (ticket/PR summary) or junit (CI test report)').choices(FORMATS).default('markdown'))
    .option('-o, --out <file>', 'write the report to FILE (default: standard output)');
  addCommonOptions(command, ['stateDir'])
    .action(async (id: string, flags: ReportFlags) => {
      process.exitCode = await reportCommand(id, flags, getProcessIo());
    });
}

export async function reportCommand(id: string, flags: ReportFlags, io: CliIo): Promise<number> {
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  const text = await renderStoredReport(stateDir, id, flags.format);
  if (flags.out === undefined) io.stdout.write(text);
  else {
    await writeReportText(path.resolve(io.cwd, flags.out), text);
    io.stderr.write(`report: wrote ${escapeControl(flags.out)} (${flags.format})\n`);
  }
  return 0;
}

async function renderStoredReport(stateDir: string, id: string, format: ReportFormat): Promise<string> {
  const [{ loadReport, renderReport }, { openDefaultStore, openDefaultFleetStore }] = await Promise.all([import('../../report/index.js'), import('../../store/default.js')]);
  const report = await loadReport({ runs: openDefaultStore(stateDir), fleets: openDefaultFleetStore(stateDir) }, id);
  return renderReport(report, format);
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

/** Writes the report of a run that just ended (or was interrupted); a failure to write is said, not thrown, so the run's exit code stands. */
export async function writeRunReport(request: { file: string; format: ReportFormat }, stateDir: string, runId: string, io: CliIo): Promise<boolean> {
  try {
    await writeReportText(request.file, await renderStoredReport(stateDir, runId, request.format));
    io.stderr.write(`report: wrote ${escapeControl(request.file)} (${request.format})\n`);
    return true;
  } catch (error) {
    io.stderr.write(`report: could not write ${escapeControl(request.file)}: ${escapeControl((error as Error).message)}\n`);
    return false;
  }
}

/** Adds `--report FILE` and `--report-format` to run and rehearse. */
export function addReportOptions(command: Command): Command {
  return command
    .option('--report <file>', 'when the run ends (succeeded, failed or interrupted), write its report to FILE: .html, .md or .xml (JUnit)')
    .addOption(new Option('--report-format <format>', 'the report format when FILE\'s extension does not say it').choices(FORMATS));
}
