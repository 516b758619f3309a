// A list+watch cache of one resource: one list, then one long watch resumed from the last resourceVersion; no polling.

import { CancelledError, classifyError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { isGone } from './errors.js';
import type { RawWatchEvent } from './transport.js';
import type { Informer, KubeObject, WatchEvent } from './types.js';
import { raceAbort } from '../time/abort.js';
import { createBackoff } from '../time/backoff.js';

export interface InformerSource<T extends KubeObject> {
  clock: Clock;
  /** Stops the informer when aborted. */
  signal?: AbortSignal;
  /** For messages, e.g. `CertificateSigningRequest (certificates.k8s.io/v1)`. */
  describe: string;
  list(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }>;
  /** Streams events from `resourceVersion` until the server ends the stream (resolve) or it fails (reject). */
  watch(resourceVersion: string, onEvent: (event: RawWatchEvent) => void, signal: AbortSignal): Promise<void>;
  /** Backoff between failed attempts, in clock ms. @default { initialMs: 250, maxMs: 30000 } */
  backoff?: { initialMs: number; maxMs: number };
}

/** A watch that ends this soon without delivering anything counts as a failure (so we back off instead of spinning). */
const MIN_QUIET_WATCH_MS = 1000;

function keyOf(obj: KubeObject): string {
  const { namespace, name } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : String(name);
}

/** 410 Gone, either as an ERROR event (the usual form) or as the HTTP status of the watch request. */
function isExpired(error: unknown): boolean {
  return isGone(error) || (error as { statusCode?: number } | undefined)?.statusCode === 410;
}

export function createInformer<T extends KubeObject>(source: InformerSource<T>): Informer<T> {
  const { clock } = source;
  const initialMs = source.backoff?.initialMs ?? 250;
  const maxMs = source.backoff?.maxMs ?? 30_000;
  const store = new Map<string, T>();
  const listeners = new Set<(event: WatchEvent<T>) => void>();
  const settledListeners = new Set<() => void>();
  const stopper = new AbortController();
  const signal = source.signal ? AbortSignal.any([source.signal, stopper.signal]) : stopper.signal;
  let ready = false;
  let failure: unknown;
  let resolveReady!: () => void;
  let rejectReady!: (error: unknown) => void;
  const readyPromise = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  readyPromise.catch(() => {}); // observed through ready()/waitFor()

  function emit(event: WatchEvent<T>): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // a listener's bug must not stop the cache
      }
    }
  }

  function settle(): void {
    for (const listener of [...settledListeners]) listener();
  }

  function apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void {
    const key = keyOf(object);
    if (type === 'DELETED') store.delete(key);
    else store.set(key, object);
    emit({ type, object });
  }

  // A relist replaces the cache; the differences are reported as events so listeners miss nothing.
  function replaceAll(items: T[]): void {
    const initial = !ready;
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      seen.add(key);
      const old = store.get(key);
      store.set(key, item);
      if (initial) continue;
      if (!old) emit({ type: 'ADDED', object: item });
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) emit({ type: 'MODIFIED', object: item });
    }
    for (const [key, old] of [...store]) {
      if (seen.has(key)) continue;
      store.delete(key);
      if (!initial) emit({ type: 'DELETED', object: old });
    }
  }

  async function watchOnce(resourceVersion: string): Promise<{ resourceVersion: string; expired: boolean; events: number }> {
    const own = new AbortController();
    const watchSignal = AbortSignal.any([signal, own.signal]);
    let rv = resourceVersion;
    let expired = false;
    let events = 0;
    let streamError: unknown;
    try {
      await source.watch(rv, (event) => {
        if (own.signal.aborted) return;
        if (event.type === 'ERROR') {
          const status = event.object as { code?: number; reason?: string; message?: string };
          if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') expired = true;
          else streamError = Object.assign(new Error(`watch ${source.describe}: ${status.message ?? status.reason}`), { statusCode: status.code });
          own.abort();
          return;
        }
        const object = event.object as unknown as T;
        rv = object.metadata?.resourceVersion ?? rv;
        events++;
        if (event.type === 'BOOKMARK') return;
        apply(event.type, object);
        settle();
      }, watchSignal);
    } catch (error) {
      if (!own.signal.aborted || signal.aborted) throw error;
    }
    if (streamError) throw streamError;
    return { resourceVersion: rv, expired, events };
  }

  // Its own frame, so the listed page array dies here: held in run()'s loop it would keep the first version of every
  // object alive for as long as the informer runs.
  async function relist(): Promise<string> {
    const listed = await source.list(signal);
    replaceAll(listed.items);
    return listed.resourceVersion;
  }

  async function run(): Promise<void> {
    let needList = true;
    let resourceVersion = '';
    const backoff = createBackoff({ initialMs, factor: 2, maxMs });
    // A server's Retry-After (429/503 on a list) wins over our own schedule when it asks for longer.
    const backOff = async (retryAfterMs = 0) => {
      await clock.sleep(backoff.next(retryAfterMs), signal);
    };
    while (!signal.aborted) {
      let listing = false;
      try {
        listing = needList;
        if (needList) {
          resourceVersion = await relist();
          needList = false;
          listing = false;
          if (!ready) {
            ready = true;
            resolveReady();
          }
          settle();
        }
        const started = clock.now();
        const result = await watchOnce(resourceVersion);
        resourceVersion = result.resourceVersion;
        const quiet = result.events === 0 && clock.now() - started < MIN_QUIET_WATCH_MS;
        if (result.expired) {
          needList = true; // our resourceVersion left the server's history: only a fresh list is consistent
          if (quiet) await backOff(); // a server answering every watch with 410 must not make us spin
        } else if (result.events > 0) {
          backoff.reset();
        } else if (quiet) {
          await backOff();
        }
      } catch (error) {
        if (signal.aborted) break;
        if (isExpired(error) && !listing) {
          needList = true; // a watch too old for the server's history: relist at once, as client-go does
          continue;
        }
        if (!ready && classifyError(error) === 'permanent') {
          failure = error;
          rejectReady(error);
          stopper.abort(error);
          break;
        }
        needList = true; // a dropped stream may have lost events: relist after the backoff
        try {
          await backOff((error as { retryAfterMs?: number }).retryAfterMs);
        } catch {
          break;
        }
      }
    }
    if (!ready) rejectReady(failure ?? signal.reason ?? new CancelledError(`informer for ${source.describe} stopped`));
    settle();
  }

  void run();

  function items(): T[] {
    return [...store.values()];
  }

  return {
    ready: () => readyPromise,
    items,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async waitFor(predicate, waitSignal) {
      await raceAbort(readyPromise, waitSignal);
      return new Promise<T[]>((resolve, reject) => {
        const cleanup = () => {
          settledListeners.delete(check);
          waitSignal?.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          cleanup();
          reject(waitSignal!.reason);
        };
        const check = () => {
          if (signal.aborted) {
            cleanup();
            reject(failure ?? new CancelledError(`informer for ${source.describe} stopped`));
            return;
          }
          try {
            const current = items();
            if (!predicate(current)) return;
            cleanup();
            resolve(current);
          } catch (error) {
            cleanup();
            reject(error);
          }
        };
        if (waitSignal?.aborted) return onAbort();
        waitSignal?.addEventListener('abort', onAbort, { once: true });
        settledListeners.add(check);
        check();
      });
    },
    stop() {
      if (!stopper.signal.aborted) stopper.abort(new CancelledError(`informer for ${source.describe} stopped`));
      settle();
    },
  };
}

