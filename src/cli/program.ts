// The command tree. Each command registers itself; nothing heavy is imported until a command's action runs.

import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { packagePath } from '../paths.js';
import { registerApproveCommands } from './commands/approve.js';
import { registerGraphCommand } from './commands/graph.js';
import { registerLogsCommand } from './commands/logs.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerRehearseCommand } from './commands/rehearse.js';
import { registerReportCommand } from './commands/report.js';
import { registerResumeCommand } from './commands/resume.js';
import { registerRunCommand } from './commands/run.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerSimCommand } from './commands/sim.js';
import { registerStepsCommand } from './commands/steps.js';
import { registerStepCommand } from './commands/step.js';
import { registerSubmitCommand } from './commands/submit.js';
import { registerExportCommand } from './commands/export.js';
import { registerValidateCommand } from './commands/validate.js';

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Builds the `opsbook` program; parse errors throw (exitOverride) so main decides the exit code. */
export function createProgram(): Command {
  const program = new Command('opsbook')
    .description('Declarative runbooks for Kubernetes and OpenShift operations: validate, plan, run, resume, rehearse.')
    .version(readVersion(), '-V, --version')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerValidateCommand(program);
  registerPlanCommand(program);
  registerRunCommand(program);
  registerResumeCommand(program);
  registerRunsCommand(program);
  registerLogsCommand(program);
  registerApproveCommands(program);
  registerSubmitCommand(program);
  registerReportCommand(program);
  registerStepsCommand(program);
  registerStepCommand(program);
  registerExportCommand(program);
  registerGraphCommand(program);
  registerSchemaCommand(program);
  registerRehearseCommand(program);
  registerSimCommand(program);
  return program;
}
