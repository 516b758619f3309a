// DAG scheduling in O(steps + edges): pending-need counts and a ready queue, at most `concurrency` steps running.

import type { StepSpec } from '../runbook/types.js';
import type { RunState, StepOutcome } from './state.js';
import { runStep } from './step.js';

/**
 * Steps settled without running: outcomes recorded by an earlier run and reused (succeeded, or skipped by their own
 * `when`), and steps left out of a partial run (skip 'selection').
 */
export type ReusedOutcomes = ReadonlyMap<string, StepOutcome>;

interface Graph {
  byId: Map<string, StepSpec>;
  dependents: Map<string, string[]>;
  pendingNeeds: Map<string, number>;
}

function buildGraph(steps: readonly StepSpec[]): Graph {
  const byId = new Map<string, StepSpec>();
  const dependents = new Map<string, string[]>();
  const pendingNeeds = new Map<string, number>();
  for (const step of steps) {
    byId.set(step.id, step);
    dependents.set(step.id, []);
    pendingNeeds.set(step.id, step.needs.length);
  }
  for (const step of steps) for (const need of step.needs) dependents.get(need)?.push(step.id);
  return { byId, dependents, pendingNeeds };
}

/** Runs every step once its needs are done; resolves with every step's outcome (none are left pending). */
export function scheduleSteps(run: RunState, concurrency: number, reused: ReusedOutcomes): Promise<Map<string, StepOutcome>> {
  const steps = run.runbook.steps;
  const graph = buildGraph(steps);
  const outcomes = new Map<string, StepOutcome>();
  const ready: StepSpec[] = steps.filter((step) => step.needs.length === 0);
  let head = 0;
  let running = 0;
  let firstFailure: string | undefined;

  return new Promise((resolve) => {
    const complete = (step: StepSpec, outcome: StepOutcome): void => {
      outcomes.set(step.id, outcome);
      run.states.set(step.id, { outputs: outcome.outputs, status: outcome.status });
      const failedRun = outcome.status === 'cancelled' || (outcome.status === 'failed' && !step.continueOnError);
      if (failedRun) firstFailure ??= step.id;
      for (const id of graph.dependents.get(step.id)!) {
        const left = graph.pendingNeeds.get(id)! - 1;
        graph.pendingNeeds.set(id, left);
        if (left === 0) ready.push(graph.byId.get(id)!);
      }
    };

    const settleWithoutRunning = (step: StepSpec): StepOutcome | undefined => {
      const previous = reused.get(step.id);
      if (previous) return previous;
      if (run.signal.aborted) return halted(`not started: ${(run.signal.reason as Error).message}`);
      if (step.always) return undefined;
      const blocker = findBlockingNeed(step, outcomes, graph.byId);
      if (blocker) return { status: 'skipped', outputs: {}, reason: blocker, skip: 'needs' };
      if (firstFailure !== undefined) return halted(`not started: step ${firstFailure} failed`);
      return undefined;
    };

    const pump = (): void => {
      while (head < ready.length) {
        const step = ready[head]!;
        const settled = settleWithoutRunning(step);
        if (settled) {
          head++;
          emitSettled(run, step, settled);
          complete(step, settled);
          continue;
        }
        if (running >= concurrency) break;
        head++;
        running++;
        runStep(run, step)
          .catch((error: unknown): StepOutcome => ({ status: 'failed', outputs: {}, error: `engine error: ${(error as Error).message}` }))
          .then((outcome) => {
            running--;
            complete(step, outcome);
            pump();
          });
      }
      if (running === 0 && head >= ready.length) resolve(outcomes);
    };
    pump();
  });
}

function halted(reason: string): StepOutcome {
  return { status: 'skipped', outputs: {}, reason, skip: 'halted' };
}

/** The first need that failed (or was itself skipped for that reason) explains why this step cannot run. */
function findBlockingNeed(
  step: StepSpec,
  outcomes: ReadonlyMap<string, StepOutcome>,
  byId: ReadonlyMap<string, StepSpec>,
): string | undefined {
  for (const need of step.needs) {
    const outcome = outcomes.get(need);
    if (!outcome) continue;
    // A continueOnError failure is recorded but lets dependents run.
    if (outcome.status === 'failed' && !byId.get(need)!.continueOnError) return `needs ${need}, which failed`;
    if (outcome.status === 'cancelled') return `needs ${need}, which was cancelled`;
    if (outcome.status === 'skipped' && outcome.skip !== 'when') return `needs ${need}, which was skipped`;
  }
  return undefined;
}

function emitSettled(run: RunState, step: StepSpec, outcome: StepOutcome): void {
  run.emit({
    type: 'step-end',
    stepId: step.id,
    status: outcome.status,
    outputs: outcome.outputs,
    ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
    ...(outcome.skip !== undefined ? { skip: outcome.skip } : {}),
    ...(outcome.reused ? { reused: true } : {}),
    ...(outcome.reusedFrom !== undefined ? { reusedFrom: outcome.reusedFrom } : {}),
  });
}
