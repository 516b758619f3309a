import { describe, expect, it } from 'vitest';
import { planWaves, runFleetSchedule, type ClusterRunResult, type SchedulerEvent, type Wave } from '../../src/fleet/index.js';
import { VirtualClock } from '../../src/time/clock.js';

interface C {
  name: string;
  deadlineMs?: number;
}

/** A fake per-cluster runner: each cluster takes `ms` of virtual time and ends as told (or hangs until aborted). */
function fakeRunner(clock: VirtualClock, plan: Record<string, { ms?: number; status?: ClusterRunResult['status'] | 'hang' | 'throw' }>) {
  let running = 0;
  let peak = 0;
  const started: string[] = [];
  const run = async (cluster: C, _wave: Wave<C>, signal: AbortSignal): Promise<ClusterRunResult> => {
    started.push(cluster.name);
    running++;
    peak = Math.max(peak, running);
    const { ms = 1000, status = 'succeeded' } = plan[cluster.name] ?? {};
    try {
      if (status === 'hang') await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      await clock.sleep(ms, signal);
      if (status === 'throw') throw new Error(`cannot reach ${cluster.name}: connection refused`);
      return { status: status as ClusterRunResult['status'], runId: `run-${cluster.name}`, ...(status === 'failed' ? { failedStep: 'approve-client', error: 'boom' } : {}) };
    } catch (error) {
      if (signal.aborted) return { status: 'interrupted', runId: `run-${cluster.name}`, error: String((signal.reason as Error).message) };
      throw error;
    } finally {
      running--;
    }
  };
  return { run, started, peak: () => peak };
}

const clusters = (n: number, extra: Partial<C> = {}): C[] => Array.from({ length: n }, (_, i) => ({ name: `c${i + 1}`, ...extra }));

function schedule(options: {
  clock: VirtualClock;
  waves: Wave<C>[];
  run: (c: C, w: Wave<C>, s: AbortSignal) => Promise<ClusterRunResult>;
  maxParallel?: number;
  maxFailures?: number;
  signal?: AbortSignal;
  pause?: Parameters<typeof runFleetSchedule>[0]['pause'];
  gate?: Parameters<typeof runFleetSchedule<C>>[0]['gate'];
  passedGates?: Set<string>;
}) {
  const events: (SchedulerEvent & { time: string })[] = [];
  const done = runFleetSchedule<C>({
    waves: options.waves,
    maxParallel: options.maxParallel ?? 10,
    maxFailures: options.maxFailures ?? 0,
    pause: options.pause ?? { kind: 'none' },
    gate: options.gate ?? (async () => ({ approved: true, by: 'test' })),
    ...(options.passedGates ? { passedGates: options.passedGates } : {}),
    runCluster: options.run,
    clock: options.clock,
    signal: options.signal ?? new AbortController().signal,
    onEvent: (e) => events.push(e),
  });
  return { done, events };
}

describe('fleet scheduler', () => {
  it('runs waves in order, never more than maxParallel clusters at once', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, {});
    const { done, events } = schedule({ clock, waves: planWaves(clusters(9), [{ count: 1 }, { percent: 100 }]), run: fake.run, maxParallel: 3 });
    const outcome = await done;
    expect(outcome.status).toBe('succeeded');
    expect(fake.peak()).toBe(3);
    expect(fake.started).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
    const waveEvents = events.filter((e) => e.type === 'wave-start' || e.type === 'wave-end').map((e) => `${e.type} ${'wave' in e ? e.wave : ''}`);
    expect(waveEvents).toEqual(['wave-start 1', 'wave-end 1', 'wave-start 2', 'wave-end 2']);
    // wave 2 starts only after the canary ended
    const canaryEnd = events.findIndex((e) => e.type === 'cluster-end' && e.cluster === 'c1');
    const secondStart = events.findIndex((e) => e.type === 'cluster-start' && e.cluster === 'c2');
    expect(canaryEnd).toBeLessThan(secondStart);
  });

  it('stops starting clusters once the failure budget is exceeded; running ones finish; the fleet fails', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, { c2: { status: 'failed' }, c3: { status: 'failed', ms: 500 } });
    const { done, events } = schedule({ clock, waves: planWaves(clusters(8), [{ count: 1 }, { percent: 100 }]), run: fake.run, maxParallel: 2, maxFailures: 1 });
    const outcome = await done;
    expect(outcome.status).toBe('failed');
    expect(outcome.reason).toBe('failure budget exceeded: 2 failed clusters, 1 tolerated');
    // c3 fails at 500ms while c2 runs; c4 starts then; c2's failure at 1000ms exceeds the budget: nothing after c4.
    expect(fake.started).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(outcome.results.get('c4')?.status).toBe('succeeded');
    expect(events.filter((e) => e.type === 'budget-exceeded')).toEqual([expect.objectContaining({ failures: 2, maxFailures: 1 })]);
    expect(events.find((e) => e.type === 'wave-end' && e.wave === 2)).toMatchObject({ succeeded: 1, failed: 2, notStarted: 4 });
  });

  it('a failure within the budget lets the rollout go on, and still fails the fleet', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, { c2: { status: 'failed' } });
    const outcome = await schedule({ clock, waves: planWaves(clusters(4), [{ count: 1 }, { percent: 100 }]), run: fake.run, maxFailures: 1 }).done;
    expect(fake.started).toHaveLength(4);
    expect(outcome).toMatchObject({ status: 'failed', failures: 1 });
    expect(outcome.reason).toBeUndefined();
  });

  it('a hanging cluster is stopped at its deadline and counted as failed, without holding the others up', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, { c1: { status: 'hang' }, c2: { ms: 60_000 }, c3: { ms: 60_000 } });
    const waves = planWaves([{ name: 'c1', deadlineMs: 300_000 }, { name: 'c2' }, { name: 'c3' }], [{ percent: 100 }]);
    const { done, events } = schedule({ clock, waves, run: fake.run, maxParallel: 2, maxFailures: 5 });
    const outcome = await done;
    expect(outcome.results.get('c1')).toMatchObject({ status: 'failed', error: 'cluster deadline 5m exceeded' });
    const ends = events.filter((e) => e.type === 'cluster-end').map((e) => (e as { cluster: string }).cluster);
    expect(ends).toEqual(['c2', 'c3', 'c1']);
    expect(outcome.status).toBe('failed');
  });

  it('a runner that throws fails that cluster only, with its message', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, { c2: { status: 'throw' } });
    const outcome = await schedule({ clock, waves: planWaves(clusters(3), [{ percent: 100 }]), run: fake.run, maxFailures: 1 }).done;
    expect(outcome.results.get('c2')).toEqual({ status: 'failed', error: 'cannot reach c2: connection refused' });
    expect(outcome.results.get('c1')?.status).toBe('succeeded');
    expect(outcome.results.get('c3')?.status).toBe('succeeded');
  });

  it('interruption stops starting clusters and interrupts the running ones', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, {});
    const controller = new AbortController();
    const run = async (c: C, w: Wave<C>, s: AbortSignal) => {
      if (c.name === 'c3') controller.abort(new Error('interrupted by user (Ctrl-C)'));
      return fake.run(c, w, s);
    };
    const outcome = await schedule({ clock, waves: planWaves(clusters(6), [{ count: 1 }, { percent: 100 }]), run, maxParallel: 2, signal: controller.signal }).done;
    expect(outcome.status).toBe('interrupted');
    expect(fake.started).toEqual(['c1', 'c2', 'c3']);
    expect(outcome.results.get('c2')).toMatchObject({ status: 'interrupted', error: 'interrupted by user (Ctrl-C)' });
    expect(outcome.results.has('c4')).toBe(false);
  });

  it('a manual gate asks before every wave after the first; a decline stops the rollout', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, {});
    const asked: string[] = [];
    const gate = async (wave: Wave<C>) => {
      asked.push(wave.id);
      return { approved: wave.id === 'wave-2', by: 'ops' };
    };
    const { done, events } = schedule({ clock, waves: planWaves(clusters(4), [{ count: 1 }, { count: 1 }, { percent: 100 }]), run: fake.run, pause: { kind: 'manual' }, gate });
    const outcome = await done;
    expect(asked).toEqual(['wave-2', 'wave-3']);
    expect(fake.started).toEqual(['c1', 'c2']);
    expect(outcome).toMatchObject({ status: 'failed', reason: 'wave-3 was not approved (by ops)' });
    expect(events.filter((e) => e.type === 'wave-gate').map((e) => (e as { state: string }).state)).toEqual(['waiting', 'approved', 'waiting', 'declined']);
  });

  it('a gate that cannot ask (no terminal) declines with its message; a passed gate is not asked again', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, {});
    const gate = async () => {
      throw new Error('wave-3 needs an operator: re-run with --approve wave-3');
    };
    const waves = planWaves(clusters(3), [{ count: 1 }, { count: 1 }, { count: 1 }]);
    const outcome = await schedule({ clock, waves, run: fake.run, pause: { kind: 'manual' }, gate, passedGates: new Set(['wave-2']) }).done;
    expect(fake.started).toEqual(['c1', 'c2']);
    expect(outcome.reason).toBe('wave-3 needs an operator: re-run with --approve wave-3');
  });

  it('a timed pause waits on the injected clock between waves', async () => {
    const clock = new VirtualClock();
    const fake = fakeRunner(clock, {});
    const { done, events } = schedule({ clock, waves: planWaves(clusters(2), [{ count: 1 }, { count: 1 }]), run: fake.run, pause: { kind: 'delay', ms: 600_000 } });
    await done;
    const end1 = Date.parse(events.find((e) => e.type === 'wave-end' && e.wave === 1)!.time);
    const start2 = Date.parse(events.find((e) => e.type === 'wave-start' && e.wave === 2)!.time);
    expect(start2 - end1).toBe(600_000);
  });
});
