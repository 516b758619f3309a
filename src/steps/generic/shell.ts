// `shell` (and every `run:` step): a bash script with -eo pipefail, or an argv with no shell at all.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StepError } from '../../errors.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepContext, StepType } from '../types.js';
import { parseOutputFile } from './output-file.js';

/** Output kept for the error message of a failed command. */
const STDERR_TAIL_LINES = 20;
/** Each stream's in-memory tail (lines still stream to the UI and journal as they come). */
const MAX_BUFFER = 256 * 1024;

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'shell',
  description:
    'Runs a bash script (`run:`, with `set -eo pipefail`) or a program given as an argv list (`command:`, no shell). ' +
    'Values reach the script through the step\'s `env:`. Outputs are the keys written to the file named by ' +
    '$OPSBOOK_OUTPUT (`key=value` lines, `key<<EOF` blocks, or one JSON object).',
  type: 'object',
  additionalProperties: false,
  properties: {
    run: { type: 'string', minLength: 1, description: 'Bash script, run with `bash --noprofile --norc -eo pipefail -c`.' },
    command: {
      type: 'array',
      minItems: 1,
      items: { type: 'string' },
      description: 'Program and arguments, run without a shell, e.g. [kubectl, get, nodes].',
    },
    workingDirectory: { type: 'string', minLength: 1, description: 'Directory to run in, relative to the working directory.' },
  },
  // In the schema rather than check(): key presence is known even when the value is still a `${{ }}` template.
  oneOf: [{ required: ['run'] }, { required: ['command'] }],
} as const satisfies JsonSchema;

/** `run` (bash script) or `command` (argv, no shell), and an optional `workingDirectory`; no defaults to fill. */
export type ShellParams = ParamsFilled<typeof schema>;

export const shellStep: StepType<ShellParams, Record<string, unknown>, ParamsInput<typeof schema>> = {
  type: 'shell',
  description: 'Run a bash script or a command; outputs are what it writes to $OPSBOOK_OUTPUT',
  schema,
  outputs: { '*': { type: 'string', description: 'Each key written to $OPSBOOK_OUTPUT (JSON values keep their type).' } },
  mutating: true,
  normalize(params) {
    return params;
  },
  run: runShell,
  async plan(params) {
    return { summary: `would run ${describeCommand(params)}` };
  },
};

function describeCommand(params: ShellParams): string {
  if (params.command) return params.command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
  const lines = (params.run ?? '').trim().split('\n');
  return `bash: ${lines[0]}${lines.length > 1 ? ` (+${lines.length - 1} more lines)` : ''}`;
}

async function runShell(params: ShellParams, ctx: StepContext): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'opsbook-output-'));
  const outputFile = join(dir, 'output');
  try {
    await writeFile(outputFile, '');
    const [file, args] = params.command
      ? [params.command[0]!, params.command.slice(1)]
      : ['bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', params.run!]];
    const result = await ctx.exec(file, args, {
      cwd: resolve(ctx.cwd, params.workingDirectory ?? '.'),
      env: { ...ctx.env, OPSBOOK_OUTPUT: outputFile, OPSBOOK_RUN_ID: ctx.runId, OPSBOOK_STEP_ID: ctx.stepId },
      signal: ctx.signal,
      onLine: (stream, line) => ctx.log(line, stream),
      maxBuffer: MAX_BUFFER,
    });
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (result.exitCode !== 0) throw toExitError(result.exitCode, result.signal, result.stderr, ctx);
    return parseOutputFile(await readFile(outputFile, 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Permanent by default (retry.on: [any] may retry it); the message carries the exit code and the end of stderr. */
function toExitError(exitCode: number | undefined, signal: string | undefined, stderr: string, ctx: StepContext): StepError {
  const tail = ctx.redact(stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n'));
  const how = exitCode !== undefined ? `exited with code ${exitCode}` : `was killed by ${signal ?? 'a signal'}`;
  return new StepError(`command ${how}${tail ? `:\n${tail}` : ''}`, {
    errorClass: 'permanent',
    details: { exitCode: exitCode ?? -1, signal, stderrTail: tail },
  });
}
