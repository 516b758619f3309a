// A run's claim as a coordination.k8s.io/v1 Lease held by the writing process and renewed while it runs: exactly one
// process continues a run; a killed one's lease expires, and only then (or with force, i.e. --break-lock) is it taken over,
// except that a holder that ran in a pod the API server reports ended (gone, Failed/Succeeded, deleted with its containers
// stopped) is taken over at once: its process cannot write any more, so a Job's next pod need not wait for the expiry.

import { identify } from '../../proc/index.js';
import { StepError, UsageError, classifyError } from '../../errors.js';
import { formatMicroTime, isAlreadyExists, isConflict, statusCodeOf } from '../../k8s/index.js';
import type { KubeClient, Lease } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';
import { backoffDelay, type BackoffPolicy } from '../../time/backoff.js';
import { retryTransient } from './retry.js';
import type { ClaimOptions, RunClaim, RunOwner } from '../index.js';
import { ANNOTATION, LEASE, labelsFor, leaseName } from './names.js';

/** The pod a claimant runs in (from the downward API), recorded on the Lease so a later claimant can ask whether it still runs. */
export interface PodRef {
  namespace: string;
  name: string;
  /** Tells a pod from a later one of the same name. */
  uid?: string;
}

export interface ClaimContext {
  kube: KubeClient;
  namespace: string;
  clock: Clock;
  /** How long a lease stays valid without renewal; renewed every third of it. */
  leaseMs: number;
  /** The claimant's own pod, when it runs in one. */
  pod?: PodRef;
  /** How long to wait for a live holder to end or expire before refusing; 0 refuses at once (a person's resume). */
  waitMs?: number;
}

/** The owner as the Lease annotation records it: the process, and its pod when it ran in one. */
export type LeaseOwner = RunOwner & { pod?: PodRef };

/** Checks of a live holder while waiting: soon at first (a killed pod's status lands within a second or two), then every 5 s. */
const WAIT_BACKOFF: BackoffPolicy = { initialMs: 250, factor: 2, maxMs: 5_000 };

/** A held claim: `lost` is aborted when renewal finds the lease taken over, deleted or expired. */
export interface KubernetesClaim extends RunClaim {
  lost: AbortSignal;
}

const MAX_RACES = 10;
const ref = (ctx: ClaimContext, runId: string) => ({ ...LEASE, name: leaseName(runId), namespace: ctx.namespace });

/** host/pid/boot id: unique across machines and reboots (pids are reused after one). */
export const identityOf = (owner: RunOwner): string => `${owner.host}/${owner.pid}/${owner.bootId ?? '-'}`;

function ownerOf(lease: Lease): LeaseOwner | undefined {
  if (!lease.spec?.holderIdentity) return undefined;
  try {
    return JSON.parse(lease.metadata.annotations?.[ANNOTATION.owner] ?? '') as LeaseOwner;
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

function describe(owner: LeaseOwner): string {
  const process = `pid ${owner.pid} on host ${owner.host} since ${owner.since}`;
  return owner.pod ? `pod ${owner.pod.namespace}/${owner.pod.name} (${process})` : process;
}

type Pod = Lease & { metadata: { uid?: string; deletionTimestamp?: string }; status?: { phase?: string; containerStatuses?: { state?: { terminated?: object } }[] } };

/**
 * Whether a holder's pod has ended as the API server sees it: `ended` only when its containers cannot run any more (pod gone or
 * replaced, Failed/Succeeded, or deleted with every container terminated). Anything else, a node that stopped reporting included,
 * leaves the holder to the expiry rule: a pod that still shows Running may still be writing. `state` completes "pod NS/NAME …" in messages.
 */
async function checkHolderPod(ctx: ClaimContext, ref: PodRef): Promise<{ ended: boolean; state: string }> {
  let pod: Pod | undefined;
  try {
    pod = await retryTransient(ctx.clock, () => ctx.kube.get<Pod>({ apiVersion: 'v1', kind: 'Pod', name: ref.name, namespace: ref.namespace }));
  } catch (error) {
    // Without `get` on pods the claimant cannot tell: the expiry rule stands, and the message says what right would help.
    if (statusCodeOf(error) === 403) return { ended: false, state: `could not be checked (403: grant get on pods, as deploy/rbac.yaml does, to take over a dead pod's run at once)` };
    throw error;
  }
  if (!pod) return { ended: true, state: 'no longer exists' };
  if (ref.uid !== undefined && pod.metadata.uid !== ref.uid) return { ended: true, state: 'is a new pod of that name' };
  const phase = pod.status?.phase ?? 'Unknown';
  if (phase === 'Failed' || phase === 'Succeeded') return { ended: true, state: `is ${phase}` };
  const containers = pod.status?.containerStatuses ?? [];
  const stopped = containers.length > 0 && containers.every((c) => c.state?.terminated !== undefined);
  if (pod.metadata.deletionTimestamp && stopped) return { ended: true, state: 'is being deleted and its containers have stopped' };
  return { ended: false, state: `is ${phase}${pod.metadata.deletionTimestamp ? ', being deleted' : ''}` };
}

export async function claimLease(ctx: ClaimContext, runId: string, options: ClaimOptions = {}): Promise<KubernetesClaim> {
  const since = (options.now ?? (() => new Date(ctx.clock.now()).toISOString()))();
  // Each claim is its own holder: two claims from one process (two stores, a test) must not both win.
  const owner: LeaseOwner = { ...identify(process.pid), since, ...(ctx.pod ? { pod: ctx.pod } : {}) };
  const identity = `${identityOf(owner)}/${since}/${Math.random().toString(36).slice(2, 8)}`;
  const waitUntil = ctx.clock.now() + (ctx.waitMs ?? 0);
  let notice: string | undefined;
  for (let race = 0, waits = 0; race < MAX_RACES; ) {
    const current = await retryTransient(ctx.clock, () => ctx.kube.get<Lease>(ref(ctx, runId)));
    const now = ctx.clock.now();
    notice = undefined;
    let lease: Lease;
    try {
      if (!current) {
        lease = await ctx.kube.create<Lease>(withIdentity(body(ctx, runId, undefined, owner, now), identity));
      } else if (current.spec?.holderIdentity === identity) {
        lease = current; // our own write landed, its answer was lost
      } else {
        const holder = ownerOf(current);
        if (holder && !isExpired(current, now) && !options.force) {
          const pod = holder.pod ? await checkHolderPod(ctx, holder.pod) : undefined;
          if (!pod?.ended) {
            const left = waitUntil - ctx.clock.now();
            if (left > 0) {
              // A live holder may be ending (a deleted pod in its grace period) or its lease may run out: look again, not a race.
              await ctx.clock.sleep(Math.min(left, backoffDelay(++waits, WAIT_BACKOFF)));
              continue;
            }
            throw new UsageError(
              `run ${runId} is claimed by ${describe(holder)}${pod ? `, which ${pod.state}` : ''} (lease ${ctx.namespace}/${leaseName(runId)}, renewed ${current.spec?.renewTime ?? '?'}, ` +
                `valid ${current.spec?.leaseDurationSeconds ?? '?'}s${(ctx.waitMs ?? 0) > 0 ? `; waited ${Math.round((ctx.waitMs ?? 0) / 1000)}s` : ''}); wait for it to end or expire, or take it over with --break-lock if that process is gone`,
            );
          }
          // The API server says the holder's pod has ended: its process cannot renew or write any more, so waiting for the expiry gains nothing.
          if (pod) notice = `run ${runId}: took the claim over from ${describe(holder)}, which ${pod.state} (lease ${ctx.namespace}/${leaseName(runId)} had not expired)`;
        }
        // The replace carries the resourceVersion read above: of two claimants taking over, one wins and the other re-reads.
        lease = await ctx.kube.replace<Lease>(withIdentity(body(ctx, runId, current, owner, now), identity));
      }
    } catch (error) {
      // Someone wrote it between our read and write, or our write's answer was lost: read again and decide afresh.
      if (isConflict(error) || isAlreadyExists(error) || classifyError(error) === 'transient') {
        race++;
        continue;
      }
      throw error;
    }
    return { ...startRenewing(ctx, runId, lease, owner, identity), ...(notice ? { notice } : {}) };
  }
  throw new UsageError(`run ${runId}: could not claim lease ${ctx.namespace}/${leaseName(runId)} (another process keeps changing it)`);
}

function withIdentity(lease: Lease, identity: string): Lease {
  return { ...lease, spec: { ...lease.spec, holderIdentity: identity } };
}

function startRenewing(ctx: ClaimContext, runId: string, acquired: Lease, owner: LeaseOwner, identity: string): KubernetesClaim {
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
