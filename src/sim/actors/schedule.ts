// Runs actor work at simulated times on the simulation's clock, stopping with the simulation.

import type { Clock } from '../../time/clock.js';

export interface Scheduler {
  clock: Clock;
  /** Simulated epoch ms when the scenario started. */
  startedAt: number;
  signal: AbortSignal;
  /** Where actor failures go (they must never crash the server). */
  report: (error: unknown, where: string) => void;
}

/** Sleeps on the simulated clock; resolves false when the simulation stopped meanwhile. */
export async function sleepFor(s: Scheduler, ms: number): Promise<boolean> {
  if (s.signal.aborted) return false;
  try {
    await s.clock.sleep(Math.max(0, ms), s.signal);
    return !s.signal.aborted;
  } catch {
    return false;
  }
}

/** Sleeps until `at` simulated ms after the scenario start. */
export function sleepUntil(s: Scheduler, at: number): Promise<boolean> {
  return sleepFor(s, s.startedAt + at - s.clock.now());
}

/** Starts background work, routing its failure to the report (never an unhandled rejection). */
export function spawn(s: Scheduler, where: string, work: () => Promise<void>): void {
  work().catch((error: unknown) => {
    if (!s.signal.aborted) s.report(error, where);
  });
}

/** Runs `work` at simulated time `at`. */
export function runAt(s: Scheduler, at: number, where: string, work: () => Promise<void> | void): void {
  spawn(s, where, async () => {
    if (await sleepUntil(s, at)) await work();
  });
}

const RETRY_ATTEMPTS = 20;

/**
 * Runs `work` again after `delayMs` of simulated time when it fails, as a real kubelet keeps retrying its API calls;
 * each failure is reported. undefined when the simulation stopped or every attempt failed.
 */
export async function retrying<T>(s: Scheduler, where: string, work: () => Promise<T>, delayMs = 10_000): Promise<{ value: T } | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await work() };
    } catch (error) {
      if (s.signal.aborted) return undefined;
      s.report(error, `${where} (attempt ${attempt}${attempt < RETRY_ATTEMPTS ? ', retrying' : ', giving up'})`);
      if (attempt >= RETRY_ATTEMPTS || !(await sleepFor(s, delayMs))) return undefined;
    }
  }
}
