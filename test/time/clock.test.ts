import { describe, expect, it } from 'vitest';
import { createScaledClock, systemClock, VirtualClock } from '../../src/time/clock.js';

describe('Clock.timer', () => {
  it('fires on the virtual clock when its time comes, in order, and a cancelled one never fires', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const fired: string[] = [];
    clock.timer(2000, () => fired.push('b'));
    const cancel = clock.timer(1500, () => fired.push('cancelled'));
    clock.timer(1000, () => fired.push('a'));
    cancel();
    expect(clock.pending).toBe(2);
    await clock.advance(999);
    expect(fired).toEqual([]);
    await clock.advance(1001);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.pending).toBe(0);
  });

  it('auto-advances to a timer when nothing else is pending (hours pass at once)', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    await new Promise<void>((resolve) => clock.timer(3_600_000, resolve));
    expect(clock.now() - start).toBe(3_600_000);
  });

  it('real and scaled timers fire, and cancelling after firing is harmless', async () => {
    const scaled = createScaledClock(1000);
    await new Promise<void>((resolve) => {
      const cancel = scaled.timer(5000, () => {
        resolve();
        cancel();
      });
    });
    let fired = false;
    const cancel = systemClock.timer(1, () => (fired = true));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(false);
  });
});
