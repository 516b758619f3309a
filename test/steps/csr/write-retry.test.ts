// Issue 16: one CSR's failed write is retried inside the attempt (Retry-After honoured, backoff otherwise, re-read
// before re-sending) while the others proceed; the attempt fails only when that CSR's retries or its time run out.

import { afterEach, describe, expect, it } from 'vitest';
import { toApiError, toNetworkError } from '../../../src/k8s/errors.js';
import type { CsrCondition, KubeClient, KubeObject } from '../../../src/k8s/types.js';
import { steps } from '../../../src/steps/csr/index.js';
import type { ApproveOutputs } from '../../../src/steps/csr/approver.js';
import { CSR_WRITE_RETRY } from '../../../src/steps/csr/write-retry.js';
import { startCluster, runStep, worker, type Cluster } from './harness.js';
import { approvalCounts, approvalRequests, stateOf } from './inject.js';

const step = (type: string) => steps.find((s) => s.type === type)!;
const nodes = ['worker-0', 'worker-1', 'worker-2', 'worker-3'];

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function fourWorkers(extra: Record<string, unknown> = {}, timeScale = 60) {
  cluster = await startCluster({
    name: 'csr-write-retry',
    timeScale,
    machines: nodes.map((n, i) => worker(n, `10.0.1.${10 + i}`)),
    ...extra,
  });
  await runStep(step('wait-for-pending'), { nodes }, cluster);
  return cluster;
}

/** Every approval write the step sends, with the clock time it was sent and how it ended. */
interface Write { csr: string; at: number; error?: Error & { retryAfterMs?: number } }

/**
 * The step's real client, with its CSR writes observed and, for chosen CSRs, answered by `intercept` instead
 * (which may call the real write first, as a server that commits and then loses its answer).
 */
function observeWrites(c: Cluster, writes: Write[], intercept?: (csr: string, real: () => Promise<KubeObject>) => Promise<KubeObject> | undefined) {
  return (kube: KubeClient): KubeClient => new Proxy(kube, {
    get(target, key, receiver) {
      if (key !== 'setCsrCondition') return Reflect.get(target, key, receiver);
      return async (csr: KubeObject, condition: CsrCondition, signal?: AbortSignal) => {
        const write: Write = { csr: csr.metadata.name!, at: c.sim.clock.now() };
        writes.push(write);
        const real = () => target.setCsrCondition(csr, condition, signal);
        try {
          return await (intercept?.(write.csr, real) ?? real());
        } catch (error) {
          write.error = error as Write['error'];
          throw error;
        }
      };
    },
  });
}

const pendingCsrs = (c: Cluster) =>
  (c.sim.access.list('certificatesigningrequests') as unknown as { metadata: { name: string } }[]).map((o) => o.metadata.name).sort();

describe('approve-client-csrs retries each CSR write within the attempt', { timeout: 60_000 }, () => {
  it('under a heavy fault rate approves every CSR in one attempt, with requests per CSR bounded', async () => {
    const c = await fourWorkers({
      faults: {
        seed: 11,
        errors: [
          { verbs: ['update'], resources: ['certificatesigningrequests/approval'], rate: 0.4, code: 503 },
          { verbs: ['get'], rate: 0.2, code: 500 },
        ],
        throttle: [{ verbs: ['update'], rate: 0.2, retryAfterSeconds: 2 }],
        resets: [{ verbs: ['update'], rate: 0.1 }],
      },
    });
    const csrs = pendingCsrs(c);
    const writes: Write[] = [];
    const result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c, { wrapKube: observeWrites(c, writes) });
    expect(result.error).toBeUndefined();
    expect(Object.keys(result.outputs!.nodes)).toEqual(nodes);
    expect(result.outputs!.approved).toEqual(csrs);
    expect(writes.filter((w) => w.error).length).toBeGreaterThan(0); // the faults really hit the approvals
    expect(result.logs.some((l) => /: write failed \(.*\); retry 1 in /.test(l))).toBe(true);
    // Bounded: never more writes for one CSR than its tries, and nothing approved twice.
    for (const csr of csrs) expect(writes.filter((w) => w.csr === csr).length).toBeLessThanOrEqual(CSR_WRITE_RETRY.tries);
    expect(approvalRequests(c.sim) / csrs.length).toBeLessThanOrEqual(CSR_WRITE_RETRY.tries);
    expect([...approvalCounts(c.sim).values()].every((n) => n <= 1)).toBe(true);
  });

  it('honours Retry-After on the clock: the next write of a throttled CSR waits at least that long', async () => {
    const c = await fourWorkers({ faults: { seed: 3, throttle: [{ verbs: ['update'], resources: ['certificatesigningrequests/approval'], rate: 0.5, retryAfterSeconds: 20 }] } });
    const writes: Write[] = [];
    const result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c, { wrapKube: observeWrites(c, writes) });
    expect(result.error).toBeUndefined();
    const throttled = writes.filter((w) => w.error?.retryAfterMs === 20_000);
    expect(throttled.length).toBeGreaterThan(0);
    for (const w of throttled) {
      const next = writes.find((x) => x.csr === w.csr && x.at > w.at);
      expect(next, w.csr).toBeDefined();
      expect(next!.at - w.at).toBeGreaterThanOrEqual(20_000);
    }
    expect(result.logs).toContainEqual(expect.stringMatching(/: write failed \(approve certificatesigningrequests csr-\w+: TooManyRequests \(429\).*\); retry 1 in 20s$/));
  });

  it('a write whose answer was lost after the commit is found approved on the re-read, never approved twice', async () => {
    const c = await fourWorkers();
    const csrs = pendingCsrs(c);
    const writes: Write[] = [];
    const lost = new Set<string>();
    const result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c, {
      wrapKube: observeWrites(c, writes, (csr, real) => {
        if (lost.has(csr)) return undefined;
        lost.add(csr);
        return real().then(() => { throw toNetworkError('update', `certificatesigningrequests ${csr}`, new Error('socket hang up')); });
      }),
    });
    expect(result.error).toBeUndefined();
    expect(writes).toHaveLength(csrs.length); // the re-read found each approved: no second write
    expect(result.outputs!.approved).toEqual(csrs); // recognised as this step's own approvals
    const counts = approvalCounts(c.sim);
    expect(csrs.map((csr) => counts.get(csr))).toEqual(csrs.map(() => 1));
  });

  it('a CSR whose writes keep failing fails the attempt once its retries run out, naming it and the last error; the others are approved', async () => {
    const c = await fourWorkers();
    const [victim, ...others] = pendingCsrs(c);
    const writes: Write[] = [];
    const result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c, {
      wrapKube: observeWrites(c, writes, (csr) =>
        csr === victim
          ? Promise.reject(toApiError('update', `certificatesigningrequests/approval ${csr}`, { status: 503, headers: {}, body: '{"message":"etcd leader changed"}' }))
          : undefined),
    });
    expect(result.error?.errorClass).toBe('transient');
    expect(result.error?.message).toMatch(new RegExp(`^CSR ${victim}: Approved write failed ${CSR_WRITE_RETRY.tries} times \\(per-CSR retries used up\\); last error: update certificatesigningrequests/approval ${victim}: ServiceUnavailable \\(503\\): etcd leader changed`));
    expect(writes.filter((w) => w.csr === victim)).toHaveLength(CSR_WRITE_RETRY.tries);
    for (const csr of others) expect(stateOf(c.sim, csr)).toBe('approved');
    expect(stateOf(c.sim, victim!)).toBe('pending');
  });

  it("a CSR throttled for longer than the attempt has left fails the attempt when the attempt's time runs out", async () => {
    const c = await fourWorkers({}, 600);
    const [victim] = pendingCsrs(c);
    const writes: Write[] = [];
    const started = c.sim.clock.now();
    const result = await runStep<ApproveOutputs>(step('approve-client-csrs'), { nodes }, c, {
      timeoutMs: 300_000,
      wrapKube: observeWrites(c, writes, (csr) =>
        csr === victim
          ? Promise.reject(toApiError('update', `certificatesigningrequests/approval ${csr}`, { status: 429, headers: { 'retry-after': '120' }, body: '' }))
          : undefined),
    });
    expect(result.error?.errorClass).toBe('timeout');
    // The sim clock runs 600× wall time here, so how late the first write starts depends on the machine's load: 3 writes
    // (0 s, 120 s, 240 s) on a quiet one, 2 when it started more than a minute of sim time in; never a write past the attempt.
    const victimWrites = writes.filter((w) => w.csr === victim);
    expect(victimWrites.length).toBeGreaterThanOrEqual(2);
    expect(result.error?.message).toMatch(new RegExp(`^CSR ${victim}: Approved write failed ${victimWrites.length} times and the attempt's time ran out before the next try; last error: .*TooManyRequests \\(429\\)`));
    for (const [i, w] of victimWrites.entries()) if (i > 0) expect(w.at - victimWrites[i - 1]!.at).toBeGreaterThanOrEqual(120_000); // Retry-After honoured
    expect(victimWrites.at(-1)!.at + 120_000 - started).toBeGreaterThan(300_000); // the next try would have been past the attempt
    expect(c.sim.clock.now() - started).toBeLessThan(300_000);
  });
});
