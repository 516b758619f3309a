// Test factories: normalised runbooks built in code, a registry of controllable step types, and a run helper.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StepError, type ErrorClass } from '../../src/errors.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { executeRunbook, type RunResult } from '../../src/engine/index.js';
import type { ExecuteOptions } from '../../src/engine/options.js';
import type { Runbook, StepSpec } from '../../src/runbook/types.js';
import { steps as genericSteps } from '../../src/steps/generic/index.js';
import type { StepRegistry } from '../../src/steps/registry.js';
import type { AnyStepType, StepContext } from '../../src/steps/types.js';
import { VirtualClock } from '../../src/time/clock.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');

type RetryInit = Partial<Omit<StepSpec['retry'], 'backoff'>> & { backoff?: Partial<StepSpec['retry']['backoff']> };
type StepInit = Partial<Omit<StepSpec, 'retry'>> & { retry?: RetryInit };

/** A normalised step with the runbook engineer's defaults (10m timeout, 1 attempt, 1s×2 max 30s backoff). */
export function makeStep(id: string, init: StepInit = {}): StepSpec {
  const { retry, ...rest } = init;
  return {
    id,
    name: id,
    index: 0,
    type: 'noop',
    with: {},
    env: {},
    needs: [],
    always: false,
    continueOnError: false,
    timeoutMs: 600_000,
    position: { line: 1, col: 1 },
    ...rest,
    retry: {
      attempts: retry?.attempts ?? 1,
      on: retry?.on ?? ['transient'],
      ...(retry?.maxDurationMs !== undefined ? { maxDurationMs: retry.maxDurationMs } : {}),
      backoff: { initialMs: 1000, factor: 2, maxMs: 30_000, jitter: false, ...retry?.backoff },
    },
  };
}

export function makeRunbook(steps: StepSpec[], init: Partial<Runbook> = {}): Runbook {
  return {
    apiVersion: 'opsbook.dev/v1',
    kind: 'Runbook',
    metadata: { name: 'test' },
    inputs: {},
    concurrency: 4,
    file: 'test.yaml',
    sha256: 'a'.repeat(64),
    ...init,
    steps: steps.map((step, index) => ({ ...step, index })),
  };
}

const anyParams = { type: 'object' };

/** Step types whose behaviour the tests control through `with`. */
export function makeTestSteps(calls: string[] = []): AnyStepType[] {
  return [
    {
      type: 'noop',
      description: 'does nothing',
      schema: anyParams,
      outputs: {},
      mutating: false,
      async run(_params, ctx: StepContext) {
        calls.push(ctx.stepId);
        return {};
      },
    },
    {
      // Returns its parameters as outputs.
      type: 'echo',
      description: 'outputs its parameters',
      schema: anyParams,
      outputs: { '*': { type: 'any', description: 'params' } },
      mutating: false,
      async run(params: Record<string, unknown>, ctx: StepContext) {
        calls.push(ctx.stepId);
        return params;
      },
    },
    {
      // Waits `ms` on the run clock.
      type: 'wait',
      description: 'waits',
      schema: anyParams,
      outputs: {},
      mutating: false,
      async run(params: { ms: number }, ctx: StepContext) {
        calls.push(ctx.stepId);
        await ctx.clock.sleep(params.ms, ctx.signal);
        return { waitedMs: params.ms, deadline: ctx.deadline };
      },
    },
    {
      // Fails its first `failures` attempts with `errorClass` (optionally asking for retryAfterMs), then succeeds.
      type: 'flaky',
      description: 'fails then succeeds',
      schema: anyParams,
      outputs: {},
      mutating: false,
      async run(params: { failures: number; errorClass?: ErrorClass; retryAfterMs?: number; exitCode?: number }, ctx: StepContext) {
        calls.push(`${ctx.stepId}#${ctx.attempt}`);
        if (ctx.attempt <= params.failures) {
          throw new StepError(`failure ${ctx.attempt}`, {
            errorClass: params.errorClass ?? 'transient',
            ...(params.retryAfterMs !== undefined ? { retryAfterMs: params.retryAfterMs } : {}),
            ...(params.exitCode !== undefined ? { details: { exitCode: params.exitCode } } : {}),
          });
        }
        return { attempt: ctx.attempt };
      },
    },
    {
      // Never finishes on its own: only its signal ends it.
      type: 'hang',
      description: 'hangs until cancelled',
      schema: anyParams,
      outputs: {},
      mutating: false,
      async run(_params, ctx: StepContext) {
        calls.push(`${ctx.stepId}#${ctx.attempt}`);
        await new Promise((_resolve, reject) => {
          if (ctx.signal.aborted) reject(ctx.signal.reason);
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
        });
        return {};
      },
    },
  ];
}

export function makeRegistry(extra: AnyStepType[] = []): StepRegistry {
  const byType = new Map<string, AnyStepType>([...genericSteps, ...extra].map((s) => [s.type, s]));
  return { get: (type) => byType.get(type), list: () => [...byType.values()] };
}

export function makeStateDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'opsbook-engine-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestRun {
  result: RunResult;
  events: EngineEvent[];
  calls: string[];
  clock: VirtualClock;
}

/** Runs `runbook` on a VirtualClock (auto-advancing) with the test step types; the caller removes stateDir. */
export async function runWithVirtualClock(
  runbook: Runbook,
  stateDir: string,
  options: Partial<ExecuteOptions> = {},
): Promise<TestRun> {
  const calls: string[] = [];
  const events: EngineEvent[] = [];
  const clock = (options.clock as VirtualClock | undefined) ?? new VirtualClock({ start: T0 });
  const result = await executeRunbook({
    runbook,
    inputs: {},
    registry: makeRegistry(makeTestSteps(calls)),
    stateDir,
    clock,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { result, events, calls, clock };
}

/** Events of one type, typed. */
export function eventsOf<T extends EngineEvent['type']>(events: EngineEvent[], type: T): Extract<EngineEvent, { type: T }>[] {
  return events.filter((e): e is Extract<EngineEvent, { type: T }> => e.type === type);
}

/** Clock offset (ms since T0) of an event. */
export function at(event: EngineEvent): number {
  return Date.parse(event.time) - T0;
}
