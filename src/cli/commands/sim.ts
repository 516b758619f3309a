// `opsbook sim serve`: runs a simulated cluster in the foreground until Ctrl-C or SIGTERM, then prints its counters.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { escapeControl } from '../../ui/escape.js';
import { getProcessIo, type CliIo } from '../io.js';

export interface SimServeFlags {
  scenario: string;
  kubeconfigOut?: string;
  port?: string;
  timeScale?: string;
}

export function registerSimCommand(program: Command): void {
  const sim = program.command('sim').description('simulated Kubernetes/OpenShift clusters for rehearsals and tests');
  sim
    .command('serve')
    .description('run a simulated cluster from a scenario file; prints "listening on https://127.0.0.1:PORT" when ready')
    .requiredOption('--scenario <file>', 'scenario YAML (see runbooks/scenarios/)')
    .option('--kubeconfig-out <path>', 'write the kubeconfig here (default: a temporary file, path printed on stderr)')
    .option('--port <n>', 'port on 127.0.0.1 (default: any free port)')
    .option('--time-scale <n>', 'simulated seconds per real second (default: the scenario\'s timeScale)')
    .action(async (flags: SimServeFlags) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        process.exitCode = await simServeCommand(flags, getProcessIo(), stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function parseNumber(flag: string, text: string | undefined, check: (n: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || !check(value)) throw new UsageError(`${flag}: expected ${expected} (got ${JSON.stringify(text)})`);
  return value;
}

/** Serves until `signal` aborts; returns the exit code. */
export async function simServeCommand(flags: SimServeFlags, io: CliIo, signal: AbortSignal): Promise<number> {
  const port = parseNumber('--port', flags.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'an integer port between 0 and 65535');
  const timeScale = parseNumber('--time-scale', flags.timeScale, (n) => n > 0, 'a number > 0');
  const scenario = resolve(io.cwd, flags.scenario);
  const { startSimulation } = await import('../../sim/index.js');
  const sim = await startSimulation({
    scenario,
    port,
    timeScale,
    kubeconfigOut: flags.kubeconfigOut ? resolve(io.cwd, flags.kubeconfigOut) : undefined,
  });
  io.stderr.write(`kubeconfig: ${sim.kubeconfigPath}\nscenario: ${escapeControl(sim.scenario.name)} (${sim.scenario.flavour}, time scale ${timeScale ?? sim.scenario.timeScale})\n`);
  io.stdout.write(`listening on ${sim.url}\n`);
  // Clients reach it as the real hosts with the connection sent here (e.g. curl --connect-to HOST:443:127.0.0.1:PORT).
  if (sim.impersonation) io.stderr.write(`assisted installer and SSO: 127.0.0.1:${sim.impersonation.port}, answering for ${sim.impersonation.hosts.map((h) => escapeControl(h)).join(', ')} (certificate from the kubeconfig's CA)\n`);
  if (!signal.aborted) await new Promise<void>((done) => signal.addEventListener('abort', () => done(), { once: true }));
  const counters = sim.counters();
  const faults = sim.faults();
  await sim.stop();
  io.stdout.write(`stopped; ${sim.totalRequests()} requests\n`);
  for (const [key, count] of Object.entries(counters)) io.stdout.write(`  ${key}: ${count}\n`);
  for (const [kind, count] of Object.entries(faults)) io.stdout.write(`  fault ${kind}: ${count}\n`);
  return 0;
}
