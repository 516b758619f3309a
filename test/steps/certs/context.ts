// A StepContext for calling certs steps directly: records logs, tables and progress; real exec by default.

import { VirtualClock, type Clock } from '../../../src/time/clock.js';
import { execProcess } from '../../../src/proc/exec.js';
import type { ReportTable } from '../../../src/engine/events.js';
import type { Exec } from '../../../src/proc/types.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import type { NodeOpener } from '../../../src/node/index.js';
import type { PlanContext, StepContext } from '../../../src/steps/types.js';
import { openKubeconfigLazily } from '../../../src/engine/options.js';

export interface RecordingContext extends StepContext {
  logs: string[];
  tables: ReportTable[];
}

export function createTestContext(options: { clock?: Clock; exec?: Exec; kube?: () => Promise<KubeClient>; signal?: AbortSignal; env?: Record<string, string | undefined>; openNode?: NodeOpener } = {}): RecordingContext {
  const logs: string[] = [];
  const tables: ReportTable[] = [];
  const clock = options.clock ?? new VirtualClock({ start: Date.now() });
  return {
    runId: 'test-run',
    stepId: 'certs',
    attempt: 1,
    signal: options.signal ?? new AbortController().signal,
    clock,
    deadline: clock.now() + 3_600_000,
    progress: () => {},
    log: (line) => logs.push(line),
    report: (table) => tables.push(table),
    env: options.env ?? { ...process.env },
    cwd: process.cwd(),
    kube: options.kube ?? (() => Promise.reject(new Error('no cluster configured'))),
    openKube: openKubeconfigLazily(clock),
    exec: options.exec ?? execProcess,
    ...(options.openNode ? { openNode: options.openNode } : {}),
    redact: (text) => text,
    secrets: [],
    confirm: () => Promise.reject(new Error('no terminal')),
    stateDir: '/tmp',
    logs,
    tables,
  };
}

export function createPlanContext(ctx: StepContext): PlanContext {
  const { runId, stepId, signal, clock, env, cwd, kube, openKube, openNode, exec, redact } = ctx;
  return { runId, stepId, signal, clock, env, cwd, kube, openKube, exec, redact, ...(openNode ? { openNode } : {}) };
}
