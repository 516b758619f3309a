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

export interface PreviousHolder {
  runId: string;
  host: string;
}

/**
 * After taking the lock over from an expired (crashed) run: its step processes may still act on the cluster. From
 * this host with its journal in our state dir they are stopped like resume does; otherwise the operator is warned.
 */
export async function stopPreviousHolder(previous: PreviousHolder, stateDir: string, report: (text: string) => void, graceMs = 5000): Promise<void> {
  const [{ hostname }, { openDefaultStore }, leftovers] = await Promise.all([
    import('node:os'),
    import('../store/default.js'),
    import('../engine/index.js'),
  ]);
  const store = openDefaultStore(stateDir);
  if (previous.host !== hostname() || !(await store.has(previous.runId))) {
    report(
      `warning: run ${previous.runId} (host ${previous.host}) may still have step processes acting on the cluster; ` +
        `opsbook cannot check them from here${previous.host === hostname() ? ' (its journal is in another state directory)' : ''}: make sure they have ended`,
    );
    return;
  }
  const owner = await store.readOwner(previous.runId);
  if (owner && (await store.isActive(previous.runId))) {
    report(`warning: run ${previous.runId} is still running (pid ${owner.pid} on host ${owner.host} since ${owner.since}); it stops when it finds the lock taken`);
    return;
  }
  const found = leftovers.checkLeftovers((await store.read(previous.runId)).events);
  for (const l of found.filter((x) => x.check === 'unknown')) {
    report(`warning: cannot check ${leftovers.describeLeftover(l.process)} of run ${previous.runId}: make sure it has ended`);
  }
  await leftovers.stopLeftovers(found, graceMs, (text) => report(`${text.replace('the crashed run', `run ${previous.runId}`)}`));
}
