import { describe, expect, it } from 'vitest';
import { raceAbort } from '../../src/time/abort.js';

describe('raceAbort', () => {
  it('settles like the promise when nothing aborts, and leaves no listener behind', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => (listeners++, add(...args))) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => (listeners--, remove(...args))) as typeof remove;
    await expect(raceAbort(Promise.resolve(7), signal)).resolves.toBe(7);
    await expect(raceAbort(Promise.reject(new Error('no')), signal)).rejects.toThrow('no');
    expect(listeners).toBe(0);
  });

  it('rejects with the abort reason (or the mapped one) without waiting for the promise', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    const waiting = raceAbort(never, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    await expect(raceAbort(never, controller.signal, () => new Error('mapped'))).rejects.toThrow('mapped');
    await expect(raceAbort(Promise.resolve(1), undefined)).resolves.toBe(1);
  });
});
