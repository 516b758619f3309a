// `opsbook step run RUNBOOK STEP_ID`: one step in isolation — what an orchestrator's task runs (export argo); status and outputs out as files.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { StepSelection } from '../../engine/index.js';
import type { RunResult } from '../../engine/run.js';
import type { StepOutcome } from '../../engine/state.js';
import type { Runbook, StepSpec } from '../../runbook/types.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addRunOptions, resolveStateDir, type CommonFlags } from '../options.js';
import type { JoinedRehearsal } from '../rehearsal-connection.js';
import type { KubeClient } from '../../k8s/types.js';
import type { NetworkPolicy } from '../../net/index.js';

export interface StepRunFlags extends CommonFlags {
  outputsFrom?: string;
  stepOutput: string[];
  stepStatus: string[];
  outDir?: string;
  singleAttempt?: boolean;
  rehearsal?: string;
}

/** Exit codes of `step run`: skipped is a success (the `status` file tells it apart); 3 = failed, and the step's retry policy would try again. */
export const STEP_EXIT = { ok: 0, failed: 1, usage: 2, retryable: 3 } as const;

/** Statuses a dependency can be given with --step-status (what the orchestrator saw). */
const DEPENDENCY_STATUSES = ['succeeded', 'failed', 'skipped'] as const;

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerStepCommand(program: Command): void {
  const step = program.command('step').description('work with one step of a runbook (what an orchestrator such as Argo runs per task)');
  addRunOptions(step.command('run').description('run one step in isolation; dependencies\' outputs come in, its status and outputs go out').argument('<file>', 'runbook YAML file').argument('<step-id>', 'the step to run'))
    .addOption(new Option('--outputs-from <file>', 'JSON {stepId: {output: value}} with the outputs of the steps it depends on'))
    .addOption(new Option('--step-output <id.key=json>', 'one dependency output (VALUE is JSON; not JSON: a string; empty: not produced); repeatable').argParser(collect).default([]))
    .addOption(new Option('--step-status <id=status>', 'a dependency\'s status (succeeded|failed|skipped; default succeeded); repeatable').argParser(collect).default([]))
    .addOption(new Option('--out-dir <dir>', 'write status, outputs.json and one file per output here'))
    .addOption(new Option('--single-attempt', 'one attempt only: exit 3 when the step\'s retry policy would try again (the orchestrator retries)'))
    .addOption(new Option('--rehearsal <file>', 'run inside a served simulation as `rehearse` does (its cluster, clock, simulated nodes and hosts; nothing beyond the loopback): the file `opsbook sim serve --connection-out` writes'))
    .action(async (file: string, stepId: string, flags: StepRunFlags) => {
      process.exitCode = await stepRunCommand(file, stepId, flags, getProcessIo());
    });
}

interface Dependency {
  status: StepOutcome['status'];
  outputs: Record<string, unknown>;
}

/** Runs one step with the engine (its needs settled from the given outputs); returns the exit code. */
export async function stepRunCommand(file: string, stepId: string, flags: StepRunFlags, io: CliIo): Promise<number> {
  // As rehearse: the simulation's cluster only (its kubeconfig comes from the connection file).
  if (flags.rehearsal && (flags.kubeconfig !== undefined || flags.context !== undefined)) {
    throw new UsageError('--rehearsal runs on the served simulation\'s cluster: --kubeconfig and --context cannot be given with it');
  }
  // A one-step run's journal is scratch for the orchestrator, which collects --out-dir: never a run to list, resume or approve elsewhere.
  if (flags.state !== undefined) {
    throw new UsageError('step run keeps its one-step journal in the state directory (--state-dir) and hands status and outputs to --out-dir: --state cannot be given with it');
  }
  // Joined first: a bad connection file is exit 2 before anything else is read.
  const rehearsal = flags.rehearsal ? await (await import('../rehearsal-connection.js')).joinRehearsal(path.resolve(io.cwd, flags.rehearsal)) : undefined;
  try {
    return await runOneStep(file, stepId, flags, io, rehearsal);
  } finally {
    await rehearsal?.close();
  }
}

async function runOneStep(file: string, stepId: string, flags: StepRunFlags, io: CliIo, rehearsal: JoinedRehearsal | undefined): Promise<number> {
  const [{ prepareRun }, { runSessionOnCluster }, { executeRunbook, createRunId, checkStepIds }, { systemClock }, { prepareStateDir }, { readUserText }, { CancelledError }] =
    await Promise.all([
      import('../prepare.js'),
      import('../cluster-run.js'),
      import('../../engine/index.js'),
      import('../../time/clock.js'),
      import('../state-dir.js'),
      import('../../files/read-user-file.js'),
      import('../../errors.js'),
    ]);
  const prepared = await prepareRun(file, { set: flags.set, valuesFile: flags.values }, io);
  const runbook = prepared.runbook;
  checkStepIds(runbook, [stepId], 'STEP_ID');
  const step = runbook.steps.find((s) => s.id === stepId)!;
  const fromFile = flags.outputsFrom ? parseOutputsFile(await readUserText(path.resolve(io.cwd, flags.outputsFrom)), flags.outputsFrom) : {};
  const dependencies = await collectDependencies(runbook, step, fromFile, flags.stepOutput, flags.stepStatus);
  const selection: StepSelection = { only: [stepId], selected: [stepId], settled: settleOthers(runbook, stepId, dependencies) };
  const stateDir = resolveStateDir(flags.stateDir, io.env, io.cwd);
  prepareStateDir(stateDir);
  // The orchestrator holds spec.lock for the whole workflow (export argo: a mutex); parallel tasks must not fight over the Lease.
  const isolated: Runbook = { ...runbook, lock: undefined };
  const clock = rehearsal?.clock ?? systemClock;
  // As in rehearse: the simulation's cluster and its scratch `~`.
  const home = rehearsal?.connection.workstationHome;
  let result: RunResult | undefined;
  let retryable: string | undefined;
  const handOver = new AbortController();
  const { exitCode } = await runSessionOnCluster({
    io: home ? { ...io, env: { ...io.env, HOME: home } } : io,
    flags: rehearsal ? { ...flags, kubeconfig: rehearsal.connection.kubeconfig } : flags,
    prepared: { ...prepared, runbook: isolated },
    ...(rehearsal ? { rehearsal: { scenario: rehearsal.connection.scenario } } : {}),
    runId: createRunId(clock.now()),
    stateDir,
    clock,
    start: async (engine) => {
      const onEvent = engine.onEvent;
      result = await executeRunbook(
        {
          ...engine,
          ...(rehearsal ? { network: rehearsal.network, openNode: rehearsal.openNode, spawnEnv: rehearsal.spawnEnv, kube: holdToPolicy(engine.kube, rehearsal.network) } : {}),
          signal: engine.signal ? AbortSignal.any([engine.signal, handOver.signal]) : handOver.signal,
          onEvent: (event) => {
            onEvent?.(event);
            // The engine decided to retry (policy, classes, budget): with --single-attempt the orchestrator does it instead.
            if (flags.singleAttempt && event.type === 'attempt-end' && event.stepId === stepId && event.retryInMs !== undefined && !handOver.signal.aborted) {
              retryable = event.error ?? 'failed';
              handOver.abort(new CancelledError(`attempt ${event.attempt} failed; the orchestrator retries it`, 'aborted'));
            }
          },
        },
        selection,
      );
      return result;
    },
  });
  const own = result?.steps[stepId];
  if (!own) return exitCode;
  const status = retryable !== undefined ? 'failed' : own.status === 'cancelled' || own.status === 'pending' ? 'failed' : own.status;
  if (flags.outDir) writeOutDir(path.resolve(io.cwd, flags.outDir), status, own.outputs, retryable ?? own.reason ?? own.error);
  if (retryable !== undefined) return STEP_EXIT.retryable;
  if (exitCode > STEP_EXIT.retryable) return exitCode; // interrupted: 129/130/143 as for run
  return status === 'failed' ? STEP_EXIT.failed : STEP_EXIT.ok;
}

/** The session's client checked against the rehearsal's policy before its first request, as a step's own kubeconfig is. */
function holdToPolicy(kube: (() => Promise<KubeClient>) | undefined, network: NetworkPolicy): (() => Promise<KubeClient>) | undefined {
  if (!kube) return undefined;
  return async () => {
    const client = await kube();
    network.checkDirect(new URL(client.server));
    return client;
  };
}

/** `{stepId: {key: value}}` from --outputs-from. */
function parseOutputsFile(text: string, file: string): Record<string, Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--outputs-from ${file}: not JSON (${(error as Error).message})`, { cause: error });
  }
  if (!isPlainObject(parsed) || !Object.values(parsed).every(isPlainObject)) {
    throw new UsageError(`--outputs-from ${file}: expected {"stepId": {"output": value}, …}`);
  }
  return parsed as Record<string, Record<string, unknown>>;
}

/** The dependencies' outcomes; exit 2 naming what is missing when the step reads an output nobody gave. */
async function collectDependencies(
  runbook: Runbook,
  step: StepSpec,
  fromFile: Record<string, Record<string, unknown>>,
  outputArgs: readonly string[],
  statusArgs: readonly string[],
): Promise<Map<string, Dependency>> {
  const { listStepReads, describeRead } = await import('../../engine/index.js');
  const known = new Set(runbook.steps.map((s) => s.id));
  const outputs = new Map<string, Record<string, unknown>>(Object.entries(fromFile).map(([id, o]) => [id, { ...o }]));
  for (const arg of outputArgs) {
    const match = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(arg);
    if (!match) throw new UsageError(`--step-output ${arg}: expected ID.KEY=VALUE`);
    const [id, key, text] = [match[1]!, match[2]!, match[3]!];
    const map = outputs.get(id) ?? {};
    if (text !== '') map[key] = parseValue(text); // empty: the dependency did not produce it
    outputs.set(id, map);
  }
  const statuses = new Map<string, Dependency['status']>();
  for (const arg of statusArgs) {
    const match = /^([^=]+)=(.*)$/.exec(arg);
    const status = match?.[2] as (typeof DEPENDENCY_STATUSES)[number] | undefined;
    if (!match || !status || !DEPENDENCY_STATUSES.includes(status)) throw new UsageError(`--step-status ${arg}: expected ID=${DEPENDENCY_STATUSES.join('|')}`);
    statuses.set(match[1]!, status);
  }
  for (const id of [...outputs.keys(), ...statuses.keys()]) {
    if (!known.has(id)) throw new UsageError(`--step-output/--step-status ${id}: no step '${id}' in ${runbook.file}`);
  }
  const dependencies = new Map<string, Dependency>();
  const problems: string[] = [];
  for (const read of listStepReads(step)) {
    const status = statuses.get(read.stepId) ?? 'succeeded';
    const given = outputs.get(read.stepId) ?? {};
    dependencies.set(read.stepId, { status, outputs: given });
    // A dependency that did not succeed has no outputs to give; the step's own expressions decide what that means.
    if (read.what !== 'outputs' || status !== 'succeeded') continue;
    const missing = read.key === undefined ? !outputs.has(read.stepId) : !(read.key in given);
    if (missing) {
      problems.push(
        `${runbook.file}:${step.position.line}:${step.position.col}: spec.steps[${step.index}] (${step.id}).${read.field} ${describeRead(read)}, ` +
          `but no value was given (--step-output ${read.stepId}.${read.key ?? 'KEY'}=VALUE or --outputs-from FILE)`,
      );
    }
  }
  if (problems.length > 0) throw new UsageError([...new Set(problems)].join('\n'));
  return dependencies;
}

/** Every other step settles without running: dependencies as given, the rest skipped as not selected. */
function settleOthers(runbook: Runbook, stepId: string, dependencies: Map<string, Dependency>): Map<string, StepOutcome> {
  const settled = new Map<string, StepOutcome>();
  for (const other of runbook.steps) {
    if (other.id === stepId) continue;
    const dependency = dependencies.get(other.id);
    if (!dependency) {
      settled.set(other.id, { status: 'skipped', outputs: {}, reason: `not selected (step run ${stepId})`, skip: 'selection' });
    } else if (dependency.status === 'skipped') {
      // Only a step skipped by its own `when` lets its dependants run; the orchestrator does not start them otherwise.
      settled.set(other.id, { status: 'skipped', outputs: {}, reason: 'skipped (given by --step-status)', skip: 'when', reused: true });
    } else {
      settled.set(other.id, { status: dependency.status, outputs: dependency.outputs, reason: `given to step run ${stepId}`, reused: true });
    }
  }
  return settled;
}

/** JSON when it parses (the exporter always passes JSON), else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `status`, `outputs.json`, `outputs/<key>` (JSON) — an output holding a masked secret gets no file of its own. */
function writeOutDir(dir: string, status: string, outputs: Record<string, unknown>, reason: string | undefined): void {
  mkdirSync(path.join(dir, 'outputs'), { recursive: true });
  writeFileSync(path.join(dir, 'status'), status);
  writeFileSync(path.join(dir, 'outputs.json'), `${JSON.stringify(outputs)}\n`);
  writeFileSync(path.join(dir, 'reason'), reason ?? '');
  for (const [key, value] of Object.entries(outputs)) {
    const text = JSON.stringify(value);
    // Masked: a dependant must not take `***` for the value; the missing file makes it say so (exit 2).
    if (text.includes('***')) continue;
    if (!/^[A-Za-z0-9_.-]+$/.test(key)) continue;
    writeFileSync(path.join(dir, 'outputs', key), text);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
