// All time in opsbook flows through a Clock so tests and rehearsals can scale or skip it.

export interface Clock {
  /** Current time in ms since the epoch (simulated time for scaled/virtual clocks). */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with `signal.reason` when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `onFire` after `ms` of this clock's time; the returned function cancels it (no-op once fired). */
  timer(ms: number, onFire: () => void): () => void;
}

/** A timer on the real event loop: cheaper than a cancellable sleep (no promise, no abort listener). */
function timerReal(realMs: number, onFire: () => void): () => void {
  const handle = setTimeout(onFire, Math.max(0, realMs));
  return () => clearTimeout(handle);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** Sleep on the real event loop for `realMs`, honouring an abort signal. */
function sleepReal(realMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, realMs));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: sleepReal,
  timer: timerReal,
};

/** A clock running `scale` times faster than real time (360 → one simulated hour in ten seconds). */
export function createScaledClock(scale: number, start: number = Date.now()): Clock & { scale: number } {
  if (!(scale > 0)) throw new RangeError(`time scale must be > 0 (got ${scale})`);
  const realStart = performance.now();
  return {
    scale,
    now: () => start + (performance.now() - realStart) * scale,
    sleep: (ms, signal) => sleepReal(ms / scale, signal),
    timer: (ms, onFire) => timerReal(ms / scale, onFire),
  };
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * A clock that only moves when told to (`advance`) or, with `autoAdvance`, jumps straight to the
 * next timer once the event loop has nothing else to do — hours of backoff pass in microseconds.
 */
export class VirtualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private seq = 0;
  private scheduled = false;
  private readonly autoAdvance: boolean;

  constructor(options: { start?: number; autoAdvance?: boolean } = {}) {
    this.current = options.start ?? Date.parse('2026-01-01T00:00:00Z');
    this.autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, resolve: () => {} };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(abortReason(signal!));
      };
      timer.resolve = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.scheduleAutoAdvance();
    });
  }

  timer(ms: number, onFire: () => void): () => void {
    const timer: Timer = { at: this.current + Math.max(0, ms), seq: this.seq++, resolve: onFire };
    this.timers.push(timer);
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.scheduleAutoAdvance();
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    while (this.timers.length > 0 && this.timers[0]!.at <= target) {
      const timer = this.timers.shift()!;
      this.current = Math.max(this.current, timer.at);
      timer.resolve();
      await flushMicrotasks();
    }
    this.current = target;
  }

  /** Number of sleepers waiting (for tests). */
  get pending(): number {
    return this.timers.length;
  }

  // Waits for the loop to go idle (setImmediate after I/O callbacks) before jumping to the next timer.
  private scheduleAutoAdvance(): void {
    if (!this.autoAdvance || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      setImmediate(() => {
        this.scheduled = false;
        const next = this.timers.shift();
        if (!next) return;
        this.current = Math.max(this.current, next.at);
        next.resolve();
        if (this.timers.length > 0) this.scheduleAutoAdvance();
      });
    });
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
