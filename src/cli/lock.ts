// The cluster lock around a run (spec.lock): taken before the first step, released at the end whatever happened.

import type { KubeClient } from '../k8s/types.js';
import type { LockSpec } from '../runbook/types.js';
import type { Clock } from '../time/clock.js';

export interface HeldLock {
  /** Who held it before, when an expired or broken lease was taken over. */
  previousHolder?: { runId: string; user: string; host: string; since?: string };
  /** Aborted when renewal finds the lease taken over: the run must stop. */
  lost: AbortSignal;
  /** Idempotent; never throws. */
  release(): Promise<void>;
}

export interface RunLockOptions {
  kube: () => Promise<KubeClient>;
  spec: LockSpec;
  holder: { runId: string; user: string; host: string };
  clock: Clock;
  breakLock: boolean;
  signal: AbortSignal;
}

/** Takes the Lease through src/k8s/lock.ts (loaded lazily); a refusal is a StepError naming the holder. */
export async function acquireRunLock(options: RunLockOptions): Promise<HeldLock> {
  const [{ acquireLock }, kube] = await Promise.all([import('../k8s/lock.js'), options.kube()]);
  return acquireLock({
    kube,
    name: options.spec.name,
    namespace: options.spec.namespace,
    ttlMs: options.spec.ttlMs,
    holder: options.holder,
    clock: options.clock,
    breakLock: options.breakLock,
    signal: options.signal,
  });
}
