import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { simulateWorstCase } from '../../src/engine/plan/simulate.js';
import { at, makeRunbook, makeStateDir, makeStep, runWithVirtualClock } from './fixtures.js';

let state: ReturnType<typeof makeStateDir>;
beforeAll(() => {
  state = makeStateDir();
});
afterAll(() => state.cleanup());

/** A random DAG: each step may need any earlier step; waits are whole seconds so ties happen. */
const dagArbitrary = fc
  .record({
    size: fc.integer({ min: 1, max: 25 }),
    concurrency: fc.integer({ min: 1, max: 5 }),
    seed: fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.array(fc.nat(), { maxLength: 3 })), { minLength: 25, maxLength: 25 }),
    failAt: fc.option(fc.nat({ max: 24 }), { nil: undefined }),
  })
  .map(({ size, concurrency, seed, failAt }) => ({
    concurrency,
    failAt: failAt !== undefined && failAt < size ? failAt : undefined,
    steps: Array.from({ length: size }, (_, i) => ({
      id: `s${i}`,
      seconds: seed[i]![0],
      needs: i === 0 ? [] : [...new Set(seed[i]![1].map((n) => `s${n % i}`))],
    })),
  }));

describe('scheduler properties', () => {
  it('respects needs and the concurrency limit, and settles every step exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(dagArbitrary, async ({ concurrency, steps, failAt }) => {
        const runbook = makeRunbook(
          steps.map((s, i) =>
            i === failAt
              ? makeStep(s.id, { needs: s.needs, type: 'fail', with: { message: 'boom' } })
              : makeStep(s.id, { needs: s.needs, type: 'wait', with: { ms: s.seconds * 1000 } }),
          ),
          { concurrency },
        );
        const { result, events } = await runWithVirtualClock(runbook, state.dir);
        const ends = new Map<string, EngineEvent>();
        const starts = new Map<string, EngineEvent>();
        let active = 0;
        for (const event of events) {
          if (event.type === 'step-start') {
            expect(starts.has(event.stepId)).toBe(false);
            starts.set(event.stepId, event);
            active++;
            expect(active).toBeLessThanOrEqual(concurrency);
          }
          if (event.type === 'step-end') {
            expect(ends.has(event.stepId)).toBe(false);
            ends.set(event.stepId, event);
            if (starts.has(event.stepId)) active--;
          }
        }
        expect(ends.size).toBe(steps.length);
        for (const step of steps) {
          const start = starts.get(step.id);
          if (!start) continue;
          for (const need of step.needs) {
            expect(ends.get(need)).toBeDefined();
            expect(events.indexOf(ends.get(need)!)).toBeLessThan(events.indexOf(start));
            expect(at(ends.get(need)!)).toBeLessThanOrEqual(at(start));
          }
        }
        expect(result.status).toBe(failAt === undefined ? 'succeeded' : 'failed');
        if (failAt === undefined) expect(starts.size).toBe(steps.length);
      }),
      { numRuns: 60 },
    );
  });

  it("plan's worst-case simulation matches a run in which every step takes its worst case", async () => {
    await fc.assert(
      fc.asyncProperty(dagArbitrary, async ({ concurrency, steps }) => {
        const runbook = makeRunbook(steps.map((s) => makeStep(s.id, { needs: s.needs, type: 'wait', with: { ms: s.seconds * 1000 } })), { concurrency });
        const { result } = await runWithVirtualClock(runbook, state.dir);
        const worst = new Map(steps.map((s) => [s.id, s.seconds * 1000]));
        expect(simulateWorstCase(runbook.steps, worst, concurrency)).toBe(result.durationMs);
      }),
      { numRuns: 60 },
    );
  });
});
