// `opsbook rehearse RUNBOOK --scenario FILE`: run a runbook end to end against an in-process simulated cluster.

import { InvalidArgumentError, type Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EventSink } from '../../engine/index.js';
import type { KubeClient } from '../../k8s/types.js';
import type { NetworkAttempt } from '../../net/index.js';
import type { AssistedSummary } from '../../sim/index.js';
import { escapeControl, escapeJsonControl } from '../../ui/escape.js';
import { UsageError } from '../../errors.js';
import { addFleetOptions, type FleetOptionFlags } from '../fleet-options.js';
import { getProcessIo, type CliIo } from '../io.js';
import { addImpersonationOptions, addInputOptions, addOutputOptions, impersonationOf, parsePositiveInt, resolveOutputMode, resolveStateDir, type CommonFlags } from '../options.js';
import { addReportOptions, resolveReportRequest, writeRunReport } from './report.js';

interface RehearseFlags extends Omit<CommonFlags, 'kubeconfig' | 'context'> {
  scenario: string;
  timeScale?: number;
  report?: string;
  reportFormat?: string;
}

/** What commander hands over: --scenario and the runbook are required unless --all rehearses a whole directory. */
interface RehearseOptions extends Omit<RehearseFlags, 'scenario'>, FleetOptionFlags {
  clusters?: number;
  scenario?: string;
  all?: true | string;
  jobs?: number;
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
    .argument('[runbook]', 'runbook YAML file (required unless --all)')
    .option('--scenario <file>', 'scenario YAML file (see runbooks/scenarios/; required unless --all)')
    .option('--all [dir]', 'rehearse every runbook of DIR on the scenario DIR/rehearsals/*.yaml pairs it with, one line each (default: the bundled runbooks)')
    .option('--jobs <n>', 'with --all: rehearsals at once, each its own process (default: 2)', parsePositiveInt)
    .option('--time-scale <n>', "simulated seconds per real second (default: the scenario's)", parseScale)
    .option('--state-dir <dir>', 'keep the journal here (default: a temporary directory, removed afterwards)')
    .option('--concurrency <n>', 'steps running at once (overrides spec.concurrency)', parsePositiveInt)
    .option('--approve <step-id>', 'pre-approve a manual gate (repeatable)', (v: string, p: string[] = []) => [...p, v], []);
  addInputOptions(command);
  // The identity the steps act as against the simulated cluster (its RBAC decides), as --as does against a real one.
  addImpersonationOptions(command);
  addReportOptions(command);
  addOutputOptions(command, 'tty or plain: live progress then the cluster as text; json: the outcome and cluster as one JSON document');
  // A fleet rehearsal: the fleet file's clusters (or sim-1 … sim-N), each its own simulation of the scenario.
  addFleetOptions(command).option('--clusters <n>', "rehearse a fleet of N simulated clusters (default strategy; the scenario's fleet: section varies them)", parsePositiveInt);
  // --contexts names real clusters: accepted only to be refused with the reason, so not offered.
  command.options.find((o) => o.long === '--contexts')?.hideHelp();
  command.action(async (file: string | undefined, { scenario, all, jobs, ...flags }: RehearseOptions) => {
    impersonationOf(flags); // --as-group without --as: exit 2 before any simulation starts
    if (all !== undefined) {
      // Each pairing says its scenario and the scenario its inputs: one set of these could not fit every runbook.
      const misplaced = [file && 'a RUNBOOK argument', scenario && '--scenario', flags.report && '--report', flags.reportFormat && '--report-format', flags.set.length > 0 && '--set', flags.values && '--values', flags.stateDir && '--state-dir', flags.as && '--as',
        flags.fleet && '--fleet', flags.clusters !== undefined && '--clusters', flags.contexts && '--contexts', flags.selector && '--selector', flags.maxParallel !== undefined && '--max-parallel', flags.maxFailures && '--max-failures'].filter(Boolean);
      if (misplaced.length > 0) throw new UsageError(`--all rehearses each runbook on its paired scenario and inputs: ${misplaced.join(', ')} cannot be given with it`);
      const { rehearseAllCommand } = await import('./rehearse-all.js');
      process.exitCode = await rehearseAllCommand({ ...flags, all, ...(jobs ? { jobs } : {}) }, getProcessIo());
      return;
    }
    if (file === undefined) throw new UsageError("missing required argument 'runbook' (or --all to rehearse every bundled runbook)");
    if (scenario === undefined) throw new UsageError("missing required option '--scenario <file>' (or --all to rehearse every bundled runbook)");
    if (flags.fleet !== undefined || flags.clusters !== undefined || flags.contexts !== undefined) {
      // An extension it cannot tell is refused (exit 2) before any simulation starts; the fleet run writes the report.
      await resolveReportRequest(flags.report, flags.reportFormat, getProcessIo().cwd);
      process.exitCode = await (await import('../fleet-rehearse.js')).rehearseFleetCommand(file, { ...flags, scenario }, getProcessIo());
      return;
    }
    process.exitCode = await rehearseCommand(file, { ...flags, scenario }, getProcessIo());
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

/** Connections the steps asked for, by outcome: what the simulation answered for, and what was refused. */
function summarizeNetwork(attempts: NetworkAttempt[]): { simulated: Record<string, number>; loopback: number; refused: string[] } {
  const simulated: Record<string, number> = {};
  for (const a of attempts) if (a.outcome === 'simulated') simulated[a.target] = (simulated[a.target] ?? 0) + 1;
  return { simulated, loopback: attempts.filter((a) => a.outcome === 'loopback').length, refused: attempts.filter((a) => a.outcome === 'refused').map((a) => a.target) };
}

/**
 * Says once, under the first step that starts a local process, that the proxy contains only programs honouring proxy
 * variables (a network namespace would also cut the simulation's loopback ports off); `said()` tells the report.
 */
function warnOnFirstProcess(warning: string): { wrap: (onEvent: EventSink | undefined) => EventSink; said: () => boolean } {
  let warned = false;
  return {
    wrap: (onEvent) => (event) => {
      onEvent?.(event);
      if (warned || event.type !== 'step-process') return;
      warned = true;
      onEvent?.({ type: 'step-log', stepId: event.stepId, stream: 'stderr', line: `opsbook rehearse: ${warning}`, time: event.time, runId: event.runId });
    },
    said: () => warned,
  };
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Lines about what lies outside the cluster: the Assisted Installer's hosts and tokens, and refused connections. */
function formatOutside(report: { network: ReturnType<typeof summarizeNetwork>; assistedInstaller?: AssistedSummary }): string[] {
  const lines: string[] = [];
  const ai = report.assistedInstaller;
  if (ai) {
    lines.push('', `Assisted Installer (simulated for ${ai.impersonates.join(', ')}): ${count(ai.requests, 'request')}, ${count(ai.tokensIssued, 'access token')} issued, ${count(ai.expiredTokens, 'expired token')} refused`);
    for (const h of ai.hosts) lines.push(`  host ${h.name}: ${h.status} (${h.history.join(' → ')})`);
  }
  const simulated = Object.entries(report.network.simulated).map(([target, n]) => `${target} ×${n}`);
  if (simulated.length === 0 && report.network.refused.length === 0) return lines;
  lines.push(`Network: ${simulated.length > 0 ? `simulated ${simulated.join(', ')}` : 'no simulated host contacted'}; ${report.network.refused.length === 0 ? 'nothing beyond the loopback' : `refused (not simulated): ${[...new Set(report.network.refused)].join(', ')}`}`);
  return lines;
}

export async function rehearseCommand(file: string, flags: RehearseFlags, io: CliIo): Promise<number> {
  const [{ prepareRun }, { runSessionOnCluster }, { executeRunbook, createRunId }, { startSimulation, loadScenario, rehearsalNodeOpener }, { formatRehearsal }, { createRehearsalNetwork, startProcessContainment }] =
    await Promise.all([
      import('../prepare.js'),
      import('../cluster-run.js'),
      import('../../engine/index.js'),
      import('../../sim/index.js'),
      import('../../ui/rehearsal.js'),
      import('../../net/index.js'),
      // Rehearse only (`run` stays lazy): load @kubernetes/client-node (1.7–3 s) before the scaled clock starts, not on simulated time.
      import('../../k8s/client.js'),
      // Likewise the OpenTelemetry SDK when a trace is asked for (~0.1 s: seconds at a scaled clock).
      import('../telemetry.js').then((telemetry) => telemetry.preloadTracing(io.env)),
    ]);
  const reportRequest = await resolveReportRequest(flags.report, flags.reportFormat, io.cwd);
  const scenario = await loadScenario(path.resolve(io.cwd, flags.scenario));
  // The scenario's dummy secrets stand in for real ones, which then reach neither the steps nor their processes.
  const standIns = scenario.secrets;
  // The scenario's suggested inputs are defaults: --values and --set override them.
  const prepared = await prepareRun(file, { set: flags.set, valuesFile: flags.values, secretStandIns: standIns, suggested: scenario.inputs }, io);
  const sessionIo: CliIo = { ...io, env: { ...io.env, ...Object.fromEntries(Object.entries(standIns).filter(([k]) => io.env[k] !== undefined)) } };
  const setNames = new Set(flags.set.map((entry) => entry.split('=')[0]!.trim()));
  const stoodIn = Object.values(prepared.runbook.inputs)
    .filter((spec) => spec.type === 'secret' && !setNames.has(spec.name) && ((spec.fromEnv !== undefined && spec.fromEnv in standIns) || spec.name in standIns))
    .map((spec) => spec.name);
  if (stoodIn.length > 0) io.stderr.write(`rehearse: secret input(s) ${stoodIn.join(', ')} take the scenario's stand-in values (secrets:)\n`);
  const sim = await startSimulation({ scenario, timeScale: flags.timeScale });
  // Requests for the hosts the scenario impersonates reach the simulation; any other host beyond the loopback is refused.
  const network = createRehearsalNetwork(
    sim.impersonation ? { simulation: { hosts: sim.impersonation.hosts, port: sim.impersonation.port, ca: sim.impersonation.caPem } } : {},
  );
  const tempState = flags.stateDir ? undefined : mkdtempSync(path.join(tmpdir(), 'opsbook-rehearse-'));
  const scratch = mkdtempSync(path.join(tmpdir(), 'opsbook-rehearse-net-'));
  let contained: Awaited<ReturnType<typeof startProcessContainment>> | undefined;
  try {
    // Processes the steps start (shell steps' curl, kubectl) go through a loopback proxy applying the same policy.
    contained = await startProcessContainment({ policy: network, dir: scratch, ...(sim.impersonation ? { simulationCa: sim.impersonation.caPem } : {}) });
    const containment = contained;
    const processWarning = warnOnFirstProcess(containment.warning);
    // The engine runs on the simulation's clock, so timeouts, backoff and the deadline scale with it.
    const clock = sim.clock;
    const mode = resolveOutputMode(flags.output, io.stdout.isTTY);
    const runId = createRunId(clock.now());
    // The same path as `run`: the simulation is just the cluster its kubeconfig names.
    const { exitCode, outcome } = await runSessionOnCluster({
      // With simulated nodes, `~` is a scratch home the simulation removes, so no workstation file of yours is replaced.
      io: sim.controlPlane ? { ...sessionIo, env: { ...sessionIo.env, HOME: sim.controlPlane.workstationHome } } : sessionIo,
      flags: { ...flags, kubeconfig: sim.kubeconfigPath, breakLock: false },
      prepared,
      runId,
      stateDir: tempState ?? resolveStateDir(flags.stateDir, io.env, io.cwd),
      clock,
      // With --output json the one JSON document printed is the rehearsal report, not the event stream.
      ...(mode === 'json' ? { renderer: { handle: () => {}, close: async () => {} } } : {}),
      // Before the runbook starts, so its first cluster step does not pay for connection set-up in simulated minutes.
      beforeStart: warmUpKubeClient,
      rehearsal: { scenario: sim.scenario.name },
      // Every node a step opens must be simulated: ssh to a real host or this machine's own files are refused.
      start: (engine) =>
        executeRunbook({
          ...engine,
          network,
          openNode: rehearsalNodeOpener(sim.controlPlane),
          spawnEnv: containment.env,
          onEvent: processWarning.wrap(engine.onEvent),
        }),
    });
    // Before the temporary state directory (and the journal in it) is removed.
    if (reportRequest) {
      const journalDir = tempState ?? resolveStateDir(flags.stateDir, io.env, io.cwd);
      await writeRunReport(reportRequest, { runs: (await import('../../store/default.js')).openDefaultStore(journalDir), where: journalDir }, runId, io);
    }
    const report = {
      runbook: { name: prepared.runbook.metadata.name, file: prepared.runbook.file },
      scenario: sim.scenario.name,
      timeScale: flags.timeScale ?? sim.scenario.timeScale,
      outcome: { runId, status: outcome?.status ?? 'failed', error: outcome?.error, exitCode },
      cluster: sim.summary(),
      // With --output json the warning shown under the step lives here (stderr stays empty).
      network: { ...summarizeNetwork(network.attempts()), ...(processWarning.said() ? { warning: containment.warning } : {}) },
      ...(sim.assisted ? { assistedInstaller: sim.assisted.summary() } : {}),
    };
    if (mode === 'json') io.stdout.write(`${escapeJsonControl(JSON.stringify(report, null, 2))}\n`);
    else io.stdout.write(`\n${[...formatRehearsal(report), ...formatOutside(report)].map((line) => escapeControl(line)).join('\n')}\n`);
    return exitCode;
  } finally {
    await contained?.close();
    await sim.stop();
    rmSync(scratch, { recursive: true, force: true });
    if (tempState) rmSync(tempState, { recursive: true, force: true });
  }
}
