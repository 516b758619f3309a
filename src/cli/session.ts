// One run with its real surroundings: renderer, Ctrl-C, manual gates, the cluster lock; returns the exit code.

import os from 'node:os';
import type { ExecuteOptions } from '../engine/options.js';
import type { EngineEvent } from '../engine/events.js';
import type { KubeClient } from '../k8s/types.js';
import type { Runbook } from '../runbook/types.js';
import type { Clock } from '../time/clock.js';
import { createRenderer, type OutputMode, type Renderer } from '../ui/renderer.js';
import { createConfirm, currentUser } from './confirm.js';
import { EXIT, exitCodeForSignal } from './exit.js';
import { installInterruptHandler } from './interrupt.js';
import type { CliIo } from './io.js';
import { acquireRunLock, stopPreviousHolder, type HeldLock } from './lock.js';
import { escapeControl } from '../ui/escape.js';

/** What the engine reports back (the part the CLI needs). */
export interface RunOutcome {
  runId: string;
  status: 'succeeded' | 'failed' | 'interrupted';
  error?: string;
}

export interface SessionOptions {
  io: CliIo;
  runbook: Runbook;
  runId: string;
  clock: Clock;
  mode: OutputMode;
  color: boolean;
  kube: () => Promise<KubeClient>;
  approvals: string[];
  breakLock: boolean;
  /** Extra listener (rehearse keeps the events for its summary). */
  onEvent?: (event: EngineEvent) => void;
  /** Renderer to use instead of the mode's (rehearse with --output json prints only its summary). */
  renderer?: Renderer;
  /** Where runs are journaled: a crashed lock holder's leftover processes are found there. @default not looked for */
  stateDir?: string;
  /** The caller's interruption (a fleet run: one handler for all its clusters) instead of this session's own. */
  interrupt?: { signal: AbortSignal; received(): NodeJS.Signals | undefined };
  /** Starts the engine (executeRunbook or resumeRunbook) with the CLI-provided options. */
  start: (options: Pick<ExecuteOptions, 'onEvent' | 'signal' | 'confirm' | 'approvals' | 'runId'>) => Promise<RunOutcome>;
}

/** `signal`: what interrupted the run (SIGHUP exits 129, SIGTERM 143, SIGINT or unknown 130). */
export function exitCodeForStatus(status: RunOutcome['status'], signal?: NodeJS.Signals): number {
  return status === 'succeeded' ? EXIT.ok : status === 'interrupted' ? exitCodeForSignal(signal) : EXIT.failed;
}

export async function runSession(options: SessionOptions): Promise<{ exitCode: number; outcome?: RunOutcome }> {
  const { io } = options;
  if (!options.color) io.env.NO_COLOR = '1'; // listr2's colour library reads it when first loaded
  const renderer = options.renderer ?? (await createRenderer({ mode: options.mode, stdout: io.stdout, stderr: io.stderr, color: options.color, clock: options.clock }));
  const controller = new AbortController();
  const notify = (text: string) => (renderer.notice ? renderer.notice(text) : void io.stderr.write(`\n${text}\n`));
  const interrupt = options.interrupt ? followInterrupt(options.interrupt, controller) : installInterruptHandler(controller, notify);
  let lock: HeldLock | undefined;
  let outcome: RunOutcome | undefined;
  try {
    if (options.runbook.lock) {
      lock = await acquireRunLock({
        kube: options.kube,
        spec: options.runbook.lock,
        holder: { runId: options.runId, user: currentUser(), host: os.hostname() },
        clock: options.clock,
        breakLock: options.breakLock,
        signal: controller.signal,
      });
      const lost = lock.lost;
      lost.addEventListener('abort', () => controller.abort(lost.reason), { once: true });
      const previous = lock.previousHolder;
      if (previous) {
        // The holder's fields come from a Lease anyone with write access to it could have filled in.
        io.stderr.write(`${escapeControl(`took over the cluster lock from run ${previous.runId} (${previous.user} on ${previous.host}${previous.since ? `, since ${previous.since}` : ''})`)}\n`);
        // Its steps may outlive it: stop them before ours act on the same cluster.
        if (options.stateDir) await stopPreviousHolder(previous, options.stateDir, (text) => void io.stderr.write(`${escapeControl(text)}\n`));
      }
    }
    outcome = await options.start({
      runId: options.runId,
      signal: controller.signal,
      approvals: options.approvals,
      confirm: createConfirm({ stdin: io.stdin, stderr: io.stderr, ask: renderer.ask?.bind(renderer) }),
      onEvent: (event) => {
        renderer.handle(event);
        options.onEvent?.(event);
      },
    });
  } finally {
    await lock?.release();
    await renderer.close();
    interrupt.remove();
  }
  // Losing the lease stops the run like Ctrl-C does, but it is a failure, not the operator's choice.
  if (lock?.lost.aborted && outcome.status !== 'succeeded') {
    io.stderr.write(`opsbook: run stopped: ${escapeControl(errorMessage(lock.lost.reason))}\n`);
    return { exitCode: EXIT.failed, outcome };
  }
  return { exitCode: exitCodeForStatus(outcome.status, interrupt.received()), outcome };
}

/** Aborts `controller` with the caller's signal; nothing is installed, so nothing is removed. */
function followInterrupt(external: NonNullable<SessionOptions['interrupt']>, controller: AbortController): { received(): NodeJS.Signals | undefined; remove(): void } {
  const onAbort = () => controller.abort(external.signal.reason);
  if (external.signal.aborted) onAbort();
  else external.signal.addEventListener('abort', onAbort, { once: true });
  return { received: external.received, remove: () => external.signal.removeEventListener('abort', onAbort) };
}

function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
