// Watch-driven waiting shared by k8s-wait and k8s-rollout-restart: live detail while waiting, last seen state on timeout.

import { CancelledError, StepError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';
import { nameFieldSelector, type ResolvedTarget } from './target.js';

/** What a judge makes of the objects currently seen. */
export interface Verdict {
  done: boolean;
  /** Live detail line, and the "last seen" part of a timeout message. */
  detail: string;
  /** Set when waiting longer cannot help (e.g. a deployment exceeded its progress deadline). */
  fail?: string;
}

export interface WaitContext {
  signal: AbortSignal;
  clock: Clock;
  deadline: number;
  progress(detail: string): void;
}

export interface WatchSelection {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Wakes a little before the engine's attempt deadline so the timeout message can say what was last seen. */
export function giveUpAt(deadline: number, now: number): number {
  if (!Number.isFinite(deadline)) return Infinity;
  return deadline - Math.min(1000, Math.max(0, (deadline - now) / 100));
}

function isTimeoutReason(reason: unknown, clock: Clock, deadline: number): boolean {
  if (reason instanceof CancelledError) return reason.reason === 'deadline';
  if (reason instanceof StepError) return reason.errorClass === 'timeout';
  if ((reason as { name?: string } | undefined)?.name === 'TimeoutError') return true;
  return clock.now() >= giveUpAt(deadline, clock.now());
}

/**
 * Watches the target (one list + one watch) until `judge` says done. Fails permanently when the judge reports
 * `fail`, with a `timeout` StepError naming the last seen state when the attempt runs out of time.
 */
export async function watchUntil(
  kube: KubeClient,
  target: ResolvedTarget,
  selection: WatchSelection,
  judge: (items: KubeObject[]) => Verdict,
  ctx: WaitContext,
  waitingFor: string,
): Promise<KubeObject[]> {
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  const informer = kube.informer(target.apiVersion, target.kind, {
    namespace: target.namespace,
    labelSelector: selection.labelSelector,
    fieldSelector: nameFieldSelector(target.name, selection.fieldSelector),
    signal,
  });
  let last: Verdict = { done: false, detail: 'not listed yet' };
  const wakeAt = giveUpAt(ctx.deadline, ctx.clock.now());
  const timer = Number.isFinite(wakeAt)
    ? ctx.clock.sleep(Math.max(0, wakeAt - ctx.clock.now()), stop.signal).then(() => 'timeout' as const, () => 'stopped' as const)
    : new Promise<'stopped'>(() => {});
  try {
    const watched = informer.waitFor((items) => {
      const verdict = judge(items);
      if (verdict.detail !== last.detail) ctx.progress(verdict.detail);
      last = verdict;
      if (verdict.fail) throw new StepError(`${waitingFor}: ${verdict.fail}`, { errorClass: 'permanent' });
      return verdict.done;
    }, signal);
    watched.catch(() => {}); // when the timer wins, the informer's rejection on stop is expected
    const outcome = await Promise.race([watched, timer]);
    if (outcome === 'timeout' || outcome === 'stopped') throw timeoutError(waitingFor, last, undefined);
    return outcome;
  } catch (error) {
    if (error instanceof StepError) throw error;
    if (ctx.signal.aborted && isTimeoutReason(ctx.signal.reason, ctx.clock, ctx.deadline)) {
      throw timeoutError(waitingFor, last, ctx.signal.reason);
    }
    throw error;
  } finally {
    stop.abort(new CancelledError('wait finished'));
    informer.stop();
  }
}

function timeoutError(waitingFor: string, last: Verdict, cause: unknown): StepError {
  return new StepError(`timed out ${waitingFor}; last seen: ${last.detail}`, {
    errorClass: 'timeout',
    cause,
    details: { lastSeen: last.detail },
  });
}
