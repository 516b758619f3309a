// A run's claim as a coordination.k8s.io/v1 Lease held by the writing process and renewed while it runs: exactly one
// process continues a run; a killed one's lease expires, and only then (or with force, i.e. --break-lock) is it taken over.

import { identify } from '../../proc/index.js';
import { StepError, UsageError, classifyError } from '../../errors.js';
import { formatMicroTime, isAlreadyExists, isConflict } from '../../k8s/index.js';
import type { KubeClient, Lease } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';
import { retryTransient } from './retry.js';
import type { ClaimOptions, RunClaim, RunOwner } from '../index.js';
import { ANNOTATION, LEASE, labelsFor, leaseName } from './names.js';

export interface ClaimContext {
  kube: KubeClient;
  namespace: string;
  clock: Clock;
  /** How long a lease stays valid without renewal; renewed every third of it. */
  leaseMs: number;
}

/** A held claim: `lost` is aborted when renewal finds the lease taken over, deleted or expired. */
export interface KubernetesClaim extends RunClaim {
  lost: AbortSignal;
}

const MAX_RACES = 10;
const ref = (ctx: ClaimContext, runId: string) => ({ ...LEASE, name: leaseName(runId), namespace: ctx.namespace });

/** host/pid/boot id: unique across machines and reboots (pids are reused after one). */
export const identityOf = (owner: RunOwner): string => `${owner.host}/${owner.pid}/${owner.bootId ?? '-'}`;

function ownerOf(lease: Lease): RunOwner | undefined {
  if (!lease.spec?.holderIdentity) return undefined;
  try {
    return JSON.parse(lease.metadata.annotations?.[ANNOTATION.owner] ?? '') as RunOwner;
  } catch {
    const [host = '?', pid = '0'] = lease.spec.holderIdentity.split('/');
    return { host, pid: Number(pid), since: lease.spec.acquireTime ?? '' };
  }
}

function isExpired(lease: Lease, now: number): boolean {
  const spec = lease.spec ?? {};
  if (!spec.holderIdentity) return true;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  return !Number.isFinite(renewed) || renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now;
}

export async function readLeaseOwner(ctx: ClaimContext, runId: string): Promise<RunOwner | undefined> {
  const lease = await retryTransient(ctx.clock, () => ctx.kube.get<Lease>(ref(ctx, runId)));
  return lease ? ownerOf(lease) : undefined;
}

/** A holder whose lease has not expired: it renewed within the lease's duration, so its process is taken as alive. */
export async function isLeaseHeld(ctx: ClaimContext, runId: string): Promise<boolean> {
  const lease = await retryTransient(ctx.clock, () => ctx.kube.get<Lease>(ref(ctx, runId)));
  return !!lease && !isExpired(lease, ctx.clock.now());
}

function body(ctx: ClaimContext, runId: string, base: Lease | undefined, owner: RunOwner, now: number): Lease {
  return {
    ...LEASE,
    metadata: {
      ...(base?.metadata ?? {}),
      name: leaseName(runId),
      namespace: ctx.namespace,
      labels: { ...(base?.metadata.labels ?? {}), ...labelsFor(runId, 'claim') },
      annotations: { ...(base?.metadata.annotations ?? {}), [ANNOTATION.owner]: JSON.stringify(owner) },
    },
    spec: {
      holderIdentity: identityOf(owner),
      leaseDurationSeconds: Math.max(1, Math.ceil(ctx.leaseMs / 1000)),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: (base?.spec?.leaseTransitions ?? 0) + (base?.spec?.holderIdentity ? 1 : 0),
    },
  };
}

function describe(owner: RunOwner): string {
  return `pid ${owner.pid} on host ${owner.host} since ${owner.since}`;
}

export async function claimLease(ctx: ClaimContext, runId: string, options: ClaimOptions = {}): Promise<KubernetesClaim> {
  const since = (options.now ?? (() => new Date(ctx.clock.now()).toISOString()))();
  // Each claim is its own holder: two claims from one process (two stores, a test) must not both win.
  const owner: RunOwner = { ...identify(process.pid), since };
  const identity = `${identityOf(owner)}/${since}/${Math.random().toString(36).slice(2, 8)}`;
  for (let race = 0; race < MAX_RACES; race++) {
    const current = await retryTransient(ctx.clock, () => ctx.kube.get<Lease>(ref(ctx, runId)));
    const now = ctx.clock.now();
    let lease: Lease;
    try {
      if (!current) {
        lease = await ctx.kube.create<Lease>(withIdentity(body(ctx, runId, undefined, owner, now), identity));
      } else if (current.spec?.holderIdentity === identity) {
        lease = current; // our own write landed, its answer was lost
      } else {
        const holder = ownerOf(current);
        if (holder && !isExpired(current, now) && !options.force) {
          throw new UsageError(
            `run ${runId} is claimed by ${describe(holder)} (lease ${ctx.namespace}/${leaseName(runId)}, renewed ${current.spec?.renewTime ?? '?'}, ` +
              `valid ${current.spec?.leaseDurationSeconds ?? '?'}s); wait for it to end or expire, or take it over with --break-lock if that process is gone`,
          );
        }
        lease = await ctx.kube.replace<Lease>(withIdentity(body(ctx, runId, current, owner, now), identity));
      }
    } catch (error) {
      // Someone wrote it between our read and write, or our write's answer was lost: read again and decide afresh.
      if (isConflict(error) || isAlreadyExists(error) || classifyError(error) === 'transient') continue;
      throw error;
    }
    return startRenewing(ctx, runId, lease, owner, identity);
  }
  throw new UsageError(`run ${runId}: could not claim lease ${ctx.namespace}/${leaseName(runId)} (another process keeps changing it)`);
}

function withIdentity(lease: Lease, identity: string): Lease {
  return { ...lease, spec: { ...lease.spec, holderIdentity: identity } };
}

function startRenewing(ctx: ClaimContext, runId: string, acquired: Lease, owner: RunOwner, identity: string): KubernetesClaim {
  const stop = new AbortController();
  const lost = new AbortController();
  const intervalMs = Math.max(1, Math.floor(ctx.leaseMs / 3));
  let lease = acquired;
  let lastRenew = ctx.clock.now();
  const lose = (why: string) => {
    if (!lost.signal.aborted) lost.abort(new StepError(`lost the claim on run ${runId} (lease ${ctx.namespace}/${leaseName(runId)}): ${why}`, { errorClass: 'permanent' }));
  };

  async function renewOnce(): Promise<void> {
    const now = ctx.clock.now();
    try {
      lease = await ctx.kube.replace<Lease>({ ...lease, spec: { ...lease.spec, renewTime: formatMicroTime(now) } }, { signal: stop.signal });
      lastRenew = now;
    } catch (error) {
      if (stop.signal.aborted) return;
      if (!isConflict(error)) {
        if (ctx.clock.now() - lastRenew > ctx.leaseMs) lose(`could not renew it within its duration (${(error as Error).message})`);
        return;
      }
      const current = await ctx.kube.get<Lease>(ref(ctx, runId), stop.signal).catch(() => undefined);
      if (!current) return lose('the lease was deleted');
      if (current.spec?.holderIdentity !== identity) {
        const holder = ownerOf(current);
        return lose(holder ? `taken over by ${describe(holder)}` : 'it was released by someone else');
      }
      lease = current;
    }
  }

  const loop = (async () => {
    while (!stop.signal.aborted && !lost.signal.aborted) {
      try {
        await ctx.clock.sleep(intervalMs, stop.signal);
      } catch {
        return;
      }
      await renewOnce().catch(() => undefined);
    }
  })();

  let released: Promise<void> | undefined;
  async function releaseOnce(): Promise<void> {
    stop.abort();
    await loop;
    if (lost.signal.aborted) return;
    for (let race = 0; race < MAX_RACES; race++) {
      try {
        const current = await ctx.kube.get<Lease>(ref(ctx, runId));
        if (!current || current.spec?.holderIdentity !== identity) return;
        const annotations = { ...current.metadata.annotations };
        delete annotations[ANNOTATION.owner];
        await ctx.kube.replace({ ...current, metadata: { ...current.metadata, annotations }, spec: { ...current.spec, holderIdentity: undefined, renewTime: formatMicroTime(ctx.clock.now()) } });
        return;
      } catch (error) {
        // Best effort: an unreleased lease simply expires.
        if (!isConflict(error) && classifyError(error) !== 'transient') return;
      }
    }
  }

  return { owner, lost: lost.signal, release: () => (released ??= releaseOnce()) };
}
