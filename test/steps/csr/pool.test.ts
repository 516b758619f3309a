import { describe, expect, it } from 'vitest';
import { runBounded } from '../../../src/steps/csr/pool.js';

/** A promise the test settles by hand, so in-flight work is counted without any timing. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('runBounded', () => {
  it('keeps at most `limit` items in flight, more than one at a time, and runs every item', async () => {
    const gates = Array.from({ length: 20 }, deferred);
    const started: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const running = runBounded(gates, 4, async (gate) => {
      started.push(gates.indexOf(gate));
      peak = Math.max(peak, ++inFlight);
      await gate.promise;
      inFlight--;
      return gates.indexOf(gate);
    });
    await turn();
    expect(started).toEqual([0, 1, 2, 3]);
    // Release the newest started item first (not the start order); each release lets exactly one more item start.
    const released = new Set<number>();
    while (released.size < gates.length) {
      const open = started.filter((i) => !released.has(i));
      expect(open.length).toBeLessThanOrEqual(4);
      const i = open.at(-1)!;
      released.add(i);
      gates[i]!.resolve();
      await turn();
    }
    const results = await running;
    expect(peak).toBe(4);
    expect(started.sort((a, b) => a - b)).toEqual(gates.map((_, i) => i));
    expect(results).toEqual(gates.map((_, i) => ({ status: 'fulfilled', value: i })));
  });

  it('collects failures without stopping the other items', async () => {
    const results = await runBounded([1, 2, 3, 4, 5], 2, async (n) => {
      if (n % 2 === 0) throw new Error(`bad ${n}`);
      return n * 10;
    });
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([10, 'bad 2', 30, 'bad 4', 50]);
  });

  it('runs one at a time with a limit below 1 and nothing for no items', async () => {
    let inFlight = 0;
    let peak = 0;
    await runBounded([1, 2, 3], 0, async () => {
      peak = Math.max(peak, ++inFlight);
      await turn();
      inFlight--;
    });
    expect(peak).toBe(1);
    expect(await runBounded([], 4, async () => 1)).toEqual([]);
  });
});
