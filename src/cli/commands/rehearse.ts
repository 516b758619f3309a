// `opsbook rehearse RUNBOOK --scenario FILE`: run a runbook end to end against an in-process simulated cluster.

import { InvalidArgumentError, type Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeClient } from '../../k8s/types.js';
import { escapeControl, escapeJsonControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addInputOptions, addOutputOptions, parsePositiveInt, resolveOutputMode, resolveStateDir, type CommonFlags } from '../options.js';

interface RehearseFlags extends Omit<CommonFlags, 'kubeconfig' | 'context'> {
  scenario: string;
  timeScale?: number;
}

function parseScale(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`must be a number > 0 (got ${value})`);
  return n;
}

export function registerRehearseCommand(program: Command): void {
  const command = program
    .command('rehearse')
    .description('run a runbook against a simulated cluster, then show what the cluster looks like')
    .argument('<runbook>', 'runbook YAML file')
    .requiredOption('--scenario <file>', 'scenario YAML file (see runbooks/scenarios/)')
    .option('--time-scale <n>', "simulated seconds per real second (default: the scenario's)", parseScale)
    .option('--state-dir <dir>', 'keep the journal here (default: a temporary directory, removed afterwards)')
    .option('--concurrency <n>', 'steps running at once (overrides spec.concurrency)', parsePositiveInt)
    .option('--approve <step-id>', 'pre-approve a manual gate (repeatable)', (v: string, p: string[] = []) => [...p, v], []);
  addInputOptions(command);
  addOutputOptions(command, 'tty or plain: live progress then the cluster as text; json: the outcome and cluster as one JSON document');
  command.action(async (file: string, flags: RehearseFlags) => {
    process.exitCode = await rehearseCommand(file, flags, getProcessIo());
  });
}

/**
 * Builds the client and sends one cheap request (`/version`: no auth, no faults) so TLS and the fetch stack are set up.
 * Best effort: a real connection problem is reported by the first step that needs the cluster.
 */
async function warmUpKubeClient(kube: () => Promise<KubeClient>): Promise<void> {
  try {
    await (await kube()).request('/version');
  } catch {
    // the first k8s step retries and reports it
  }
}

export async function rehearseCommand(file: string, flags: RehearseFlags, io: CliIo): Promise<number> {
  const [{ prepareRun }, { runSessionOnCluster }, { executeRunbook, createRunId }, { startSimulation }, { formatRehearsal }] =
    await Promise.all([
      import('../prepare.js'),
      import('../cluster-run.js'),
      import('../../engine/index.js'),
      import('../../sim/index.js'),
      import('../../ui/rehearsal.js'),
      // Rehearse only (`run` stays lazy): load @kubernetes/client-node (1.7–3 s) before the scaled clock starts, not on simulated time.
      import('../../k8s/client.js'),
    ]);
  const prepared = await prepareRun(file, { set: flags.set, valuesFile: flags.values }, io);
  const sim = await startSimulation({ scenario: path.resolve(io.cwd, flags.scenario), timeScale: flags.timeScale });
  const tempState = flags.stateDir ? undefined : mkdtempSync(path.join(tmpdir(), 'opsbook-rehearse-'));
  try {
    // The engine runs on the simulation's clock, so timeouts, backoff and the deadline scale with it.
    const clock = sim.clock;
    const mode = resolveOutputMode(flags.output, io.stdout.isTTY);
    const runId = createRunId(clock.now());
    // The same path as `run`: the simulation is just the cluster its kubeconfig names.
    const { exitCode, outcome } = await runSessionOnCluster({
      io,
      flags: { ...flags, kubeconfig: sim.kubeconfigPath, breakLock: false },
      prepared,
      runId,
      stateDir: tempState ?? resolveStateDir(flags.stateDir, io.env, io.cwd),
      clock,
      // With --output json the one JSON document printed is the rehearsal report, not the event stream.
      ...(mode === 'json' ? { renderer: { handle: () => {}, close: async () => {} } } : {}),
      // Before the runbook starts, so its first cluster step does not pay for connection set-up in simulated minutes.
      beforeStart: warmUpKubeClient,
      start: (engine) => executeRunbook(engine),
    });
    const report = {
      runbook: { name: prepared.runbook.metadata.name, file: prepared.runbook.file },
      scenario: sim.scenario.name,
      timeScale: flags.timeScale ?? sim.scenario.timeScale,
      outcome: { runId, status: outcome?.status ?? 'failed', error: outcome?.error, exitCode },
      cluster: sim.summary(),
    };
    if (mode === 'json') io.stdout.write(`${escapeJsonControl(JSON.stringify(report, null, 2))}\n`);
    else io.stdout.write(`\n${formatRehearsal(report).map((line) => escapeControl(line)).join('\n')}\n`);
    return exitCode;
  } finally {
    await sim.stop();
    if (tempState) rmSync(tempState, { recursive: true, force: true });
  }
}
