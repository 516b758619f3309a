// Turns informer change callbacks into "wait for the next change or a clock time", so waits are watch-driven, never polled.

import type { Informer, KubeObject } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';

export interface ChangeFeed {
  /**
   * Resolves 'change' once any informer has changed since the previous call (at once if one already did),
   * or 'time' when the clock reaches `wakeAt` (Infinity = no timer). Rejects when `signal` aborts.
   */
  next(clock: Clock, wakeAt: number, signal: AbortSignal): Promise<'change' | 'time'>;
  close(): void;
}

export function createChangeFeed(informers: Informer<KubeObject>[]): ChangeFeed {
  let dirty = false;
  let wake: (() => void) | undefined;
  const offs = informers.map((inf) =>
    inf.onChange(() => {
      dirty = true;
      wake?.();
    }),
  );
  return {
    async next(clock, wakeAt, signal) {
      if (dirty) {
        dirty = false;
        return 'change';
      }
      if (signal.aborted) throw signal.reason;
      const timer = new AbortController();
      let onAbort: (() => void) | undefined;
      try {
        const racers: Promise<'change' | 'time'>[] = [
          new Promise<'change'>((resolve) => {
            wake = () => resolve('change');
          }),
          new Promise<never>((_, reject) => {
            onAbort = () => reject(signal.reason);
            signal.addEventListener('abort', onAbort, { once: true });
          }),
        ];
        if (Number.isFinite(wakeAt)) {
          const sleep = clock.sleep(Math.max(0, wakeAt - clock.now()), timer.signal);
          racers.push(sleep.then(() => 'time' as const, () => 'change' as const));
        }
        const result = await Promise.race(racers);
        dirty = false;
        return result;
      } finally {
        wake = undefined;
        if (onAbort) signal.removeEventListener('abort', onAbort);
        timer.abort();
      }
    },
    close() {
      offs.forEach((off) => off());
      wake = undefined;
    },
  };
}

/**
 * When a wait gives up: a little before the attempt deadline, so the step can still fail with its own
 * explanation (a table of what never settled) instead of being cut off by the engine's timer.
 */
export function computeGiveUpAt(deadline: number, now: number): number {
  if (!Number.isFinite(deadline)) return Infinity;
  const margin = Math.min(10_000, Math.max(0, (deadline - now) / 100));
  return deadline - margin;
}
