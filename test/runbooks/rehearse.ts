// Rehearses a bundled runbook in-process: the simulated cluster, the real engine, the real Kubernetes client, and
// the simulation's clock for the engine (as `opsbook rehearse` does), collecting events and the final cluster state.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeRunbook, planRunbook, resumeRunbook, type RunResult } from '../../src/engine/index.js';
import { CancelledError } from '../../src/errors.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { createKubeClient } from '../../src/k8s/client.js';
import { loadRunbook, resolveInputs } from '../../src/runbook/index.js';
import { startSimulation, type Simulation, type SimSummary } from '../../src/sim/index.js';
import { createStepRegistry } from '../../src/steps/registry.js';

export interface Rehearsal {
  sim: Simulation;
  result: RunResult;
  events: EngineEvent[];
  summary: SimSummary;
}

// Step budgets are in simulated time: at 360× five minutes are under a second of real time, too tight for a loaded
// CI machine running the whole suite, so the tests rehearse at 60× (behaviour is the same, only slower).
const TEST_TIME_SCALE = 60;

async function prepare(runbookPath: string, scenario: string, values: Record<string, unknown>) {
  const sim = await startSimulation({ scenario, timeScale: TEST_TIME_SCALE });
  const registry = createStepRegistry();
  const runbook = await loadRunbook(runbookPath, { registry });
  const inputs = await resolveInputs(runbook, { values });
  let client: ReturnType<typeof createKubeClient> | undefined;
  const kube = () => (client ??= createKubeClient({ kubeconfigPath: sim.kubeconfigPath, clock: sim.clock }));
  return { sim, registry, runbook, inputs, kube };
}

/** Runs the runbook to its end on a fresh simulation of `scenario`; the caller stops `sim`. */
export async function rehearse(runbookPath: string, scenario: string, values: Record<string, unknown> = {}): Promise<Rehearsal> {
  const { sim, registry, runbook, inputs, kube } = await prepare(runbookPath, scenario, values);
  const stateDir = await mkdtemp(join(tmpdir(), 'opsbook-rehearse-'));
  const events: EngineEvent[] = [];
  try {
    const result = await executeRunbook({
      runbook,
      inputs: inputs.values,
      registry,
      stateDir,
      clock: sim.clock,
      kube,
      env: { KUBECONFIG: sim.kubeconfigPath },
      onEvent: (event) => events.push(event),
    });
    return { sim, result, events, summary: sim.summary() };
  } catch (error) {
    await sim.stop();
    throw error;
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/**
 * Runs the runbook, interrupts it (as Ctrl-C does) when `interruptAt` sees the event it waits for, then resumes the
 * same run on the same cluster.
 */
export async function rehearseInterrupted(
  runbookPath: string,
  scenario: string,
  interruptAt: (event: EngineEvent) => boolean,
): Promise<Rehearsal & { first: RunResult }> {
  const { sim, registry, runbook, inputs, kube } = await prepare(runbookPath, scenario, {});
  const stateDir = await mkdtemp(join(tmpdir(), 'opsbook-rehearse-'));
  const events: EngineEvent[] = [];
  try {
    const controller = new AbortController();
    const base = { runbook, inputs: inputs.values, registry, stateDir, clock: sim.clock, kube, env: { KUBECONFIG: sim.kubeconfigPath } };
    const first = await executeRunbook({
      ...base,
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        if (!controller.signal.aborted && interruptAt(event)) controller.abort(new CancelledError('interrupted by user', 'interrupted'));
      },
    });
    const result = await resumeRunbook({ ...base, runId: first.runId, onEvent: (event) => events.push(event) });
    return { sim, first, result, events, summary: sim.summary() };
  } catch (error) {
    await sim.stop();
    throw error;
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** `opsbook plan` in-process against a fresh simulation, after letting it run `settleMs` of simulated time. */
export async function planOn(runbookPath: string, scenario: string, settle: (sim: Simulation) => Promise<void>) {
  const { sim, registry, runbook, inputs, kube } = await prepare(runbookPath, scenario, {});
  try {
    await settle(sim);
    const before = { csrs: JSON.stringify(sim.access.list('certificatesigningrequests')), counters: sim.counters() };
    const plan = await planRunbook({ runbook, inputs: inputs.values, registry, clock: sim.clock, kube });
    return { plan, sim, before };
  } catch (error) {
    await sim.stop();
    throw error;
  }
}
