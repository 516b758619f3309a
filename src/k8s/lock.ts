// A cluster-wide run lock on a coordination.k8s.io/v1 Lease, so two runs of one runbook never overlap on a cluster.

import { CancelledError, StepError, classifyError } from '../errors.js';
import { backoffDelay, type BackoffPolicy } from '../time/backoff.js';
import type { Clock } from '../time/clock.js';
import { isAlreadyExists, isConflict } from './errors.js';
import { formatMicroTime } from './time.js';
import type { KubeClient, Lease } from './types.js';

export interface LockHolder {
  runId: string;
  user: string;
  host: string;
}

export interface AcquireLockOptions {
  kube: KubeClient;
  /** Lease name (the runbook's name by default, chosen by the caller). */
  name: string;
  /** @default 'kube-system' */
  namespace?: string;
  /** How long the lease stays valid without renewal; renewed every ttl/3. */
  ttlMs: number;
  holder: LockHolder;
  clock: Clock;
  /** Take the lease even when another live run holds it (`--break-lock`). */
  breakLock?: boolean;
  signal?: AbortSignal;
}

export interface LockHandle {
  readonly name: string;
  readonly namespace: string;
  /** Who held it before, when we took over an expired or broken lease. */
  readonly previousHolder?: LockHolder & { since?: string };
  /** Aborted (with a StepError) when renewal finds the lease taken over or expired: stop the run. */
  readonly lost: AbortSignal;
  /** Stops renewing and frees the lease if it is still ours. Idempotent; never throws. */
  release(): Promise<void>;
}

const ANN = {
  runId: 'opsbook.dev/run-id',
  user: 'opsbook.dev/user',
  host: 'opsbook.dev/host',
} as const;

const LEASE = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' } as const;
/** Marks leases opsbook created; any other Lease (e.g. a controller's leader election) is never taken over. */
const MANAGED_BY = 'app.kubernetes.io/managed-by';

function isOpsbookLease(lease: Lease): boolean {
  return lease.metadata.labels?.[MANAGED_BY] === 'opsbook' || lease.metadata.annotations?.[ANN.runId] !== undefined;
}
const MAX_CONFLICT_RETRIES = 5;
const MAX_TRANSIENT_RETRIES = 4;
/** Delays between those retries: 500 ms, 1 s, 2 s, 4 s (deterministic, so tests on a virtual clock know them). */
const TRANSIENT_BACKOFF: BackoffPolicy = { initialMs: 500, factor: 2, maxMs: 4000 };

function identityOf(holder: LockHolder): string {
  return `${holder.user}@${holder.host}/${holder.runId}`;
}

function holderOf(lease: Lease): (LockHolder & { since?: string }) | undefined {
  const identity = lease.spec?.holderIdentity;
  if (!identity) return undefined;
  const a = lease.metadata.annotations ?? {};
  return { runId: a[ANN.runId] ?? identity, user: a[ANN.user] ?? '?', host: a[ANN.host] ?? '?', since: lease.spec?.acquireTime };
}

/** True when the holder stopped renewing for longer than the lease duration (it crashed or lost the network). */
export function isLeaseExpired(lease: Lease, now: number): boolean {
  const spec = lease.spec ?? {};
  if (!spec.holderIdentity) return true;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  if (!Number.isFinite(renewed)) return true;
  return renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now;
}

function describeHolder(h: LockHolder & { since?: string }): string {
  return `run ${h.runId} (user ${h.user} on host ${h.host})${h.since ? ` since ${h.since}` : ''}`;
}

function leaseBody(base: Lease | undefined, o: AcquireLockOptions, namespace: string, now: number): Lease {
  const annotations = { ...(base?.metadata.annotations ?? {}), [ANN.runId]: o.holder.runId, [ANN.user]: o.holder.user, [ANN.host]: o.holder.host };
  const transitions = (base?.spec?.leaseTransitions ?? 0) + (base?.spec?.holderIdentity ? 1 : 0);
  const labels = { ...(base?.metadata.labels ?? {}), [MANAGED_BY]: 'opsbook' };
  return {
    ...LEASE,
    metadata: { ...(base?.metadata ?? {}), name: o.name, namespace, labels, annotations },
    spec: {
      holderIdentity: identityOf(o.holder),
      leaseDurationSeconds: Math.max(1, Math.ceil(o.ttlMs / 1000)),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: transitions,
    },
  };
}

/**
 * Takes the Lease `namespace/name` for this run, or refuses (permanent StepError naming the holder) when another
 * live run holds it. Expired leases are taken over; `breakLock` takes a live one. Renews in the background.
 */
export async function acquireLock(options: AcquireLockOptions): Promise<LockHandle> {
  const { kube, clock, signal } = options;
  const namespace = options.namespace ?? 'kube-system';
  const ref = { ...LEASE, name: options.name, namespace };
  let previousHolder: (LockHolder & { since?: string }) | undefined;
  let lease: Lease | undefined;
  let conflicts = 0;
  let failures = 0;
  while (!lease) {
    previousHolder = undefined;
    try {
      const current = await kube.get<Lease>(ref, signal);
      const now = clock.now();
      if (!current) {
        lease = await kube.create<Lease>(leaseBody(undefined, options, namespace, now), { signal });
      } else {
        if (!isOpsbookLease(current)) {
          throw new StepError(
            `lease ${namespace}/${options.name} exists but is not an opsbook lock (holder ${current.spec?.holderIdentity ?? 'none'}); ` +
              'it may be a controller\'s leader election: choose another spec.lock.name',
            { errorClass: 'permanent', details: { lock: `${namespace}/${options.name}` } },
          );
        }
        const holder = holderOf(current);
        const ours = holder?.runId === options.holder.runId;
        if (holder && !ours && !options.breakLock && !isLeaseExpired(current, now)) {
          throw new StepError(
            `lock ${namespace}/${options.name} is held by ${describeHolder(holder)}; ` +
              `wait for it to finish, or take the lock over with --break-lock if that run is gone`,
            { errorClass: 'permanent', details: { lock: `${namespace}/${options.name}`, holder } },
          );
        }
        if (holder && !ours) previousHolder = holder;
        lease = await kube.replace<Lease>(leaseBody(current, options, namespace, now), { signal });
      }
    } catch (error) {
      // Someone else wrote the lease between our read and write: read again and decide afresh.
      if ((isConflict(error) || isAlreadyExists(error)) && ++conflicts <= MAX_CONFLICT_RETRIES) continue;
      // A flaky API server must not fail the run before it starts; the re-read makes a lost answer harmless.
      if (classifyError(error) === 'transient' && ++failures <= MAX_TRANSIENT_RETRIES) {
        const retryAfter = error instanceof StepError ? error.retryAfterMs : undefined;
        await clock.sleep(retryAfter ?? backoffDelay(failures, TRANSIENT_BACKOFF), signal);
        continue;
      }
      throw error;
    }
  }
  return startRenewing(options, namespace, lease!, previousHolder);
}

function startRenewing(options: AcquireLockOptions, namespace: string, acquired: Lease, previousHolder: LockHandle['previousHolder']): LockHandle {
  const { kube, clock } = options;
  const ref = { ...LEASE, name: options.name, namespace };
  const stop = new AbortController();
  const lost = new AbortController();
  const intervalMs = Math.max(1, Math.floor(options.ttlMs / 3));
  let lease = acquired;
  let lastRenew = clock.now();

  const isOurs = (l: Lease | undefined) => !!l && l.spec?.holderIdentity === identityOf(options.holder);
  const loseLock = (why: string) => {
    if (!lost.signal.aborted) lost.abort(new StepError(`lost lock ${namespace}/${options.name}: ${why}`, { errorClass: 'permanent' }));
  };

  /** One renewal; false when it failed in a way worth retrying soon. */
  async function renewOnce(): Promise<boolean> {
    const now = clock.now();
    const body: Lease = { ...lease, spec: { ...lease.spec, renewTime: formatMicroTime(now) } };
    try {
      lease = await kube.replace<Lease>(body, { signal: stop.signal });
      lastRenew = now;
      return true;
    } catch (error) {
      if (stop.signal.aborted) return true;
      if (!isConflict(error)) {
        if (clock.now() - lastRenew > options.ttlMs) loseLock(`could not renew it for longer than its ttl (${(error as Error).message})`);
        return false;
      }
      const current = await kube.get<Lease>(ref, stop.signal).catch(() => undefined);
      if (!current) {
        loseLock('the lease was deleted');
        return true;
      }
      if (!isOurs(current)) {
        const holder = holderOf(current);
        loseLock(holder ? `taken over by ${describeHolder(holder)}` : 'it was released by someone else');
        return true;
      }
      lease = current; // ours, just a newer resourceVersion: renew it again soon
      return false;
    }
  }

  const loop = (async () => {
    let ok = true;
    while (!stop.signal.aborted && !lost.signal.aborted) {
      try {
        // after a failed renewal, retry sooner so a blip does not cost the lease
        await clock.sleep(ok ? intervalMs : Math.max(1, Math.floor(intervalMs / 4)), stop.signal);
      } catch {
        return;
      }
      ok = await renewOnce().catch(() => false);
    }
  })();

  let released: Promise<void> | undefined;
  async function releaseOnce(): Promise<void> {
    stop.abort(new CancelledError('lock released'));
    await loop;
    if (lost.signal.aborted) return;
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      try {
        const current = await kube.get<Lease>(ref);
        if (!current || !isOurs(current)) return;
        const annotations = { ...current.metadata.annotations };
        for (const key of Object.values(ANN)) delete annotations[key];
        await kube.replace({
          ...current,
          metadata: { ...current.metadata, annotations },
          spec: { ...current.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: formatMicroTime(clock.now()) },
        });
        return;
      } catch (error) {
        // best effort: an unreleased lease simply expires after its ttl
        if (!isConflict(error) && classifyError(error) !== 'transient') return;
      }
    }
  }

  return {
    name: options.name,
    namespace,
    previousHolder,
    lost: lost.signal,
    release: () => (released ??= releaseOnce()),
  };
}
