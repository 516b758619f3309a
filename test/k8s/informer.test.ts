// The informer's list/watch/relist state machine, driven by a scripted source (the client path is tested against the sim).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { createInformer } from '../../src/k8s/informer.js';
import type { RawWatchEvent } from '../../src/k8s/transport.js';
import type { KubeObject, WatchEvent } from '../../src/k8s/types.js';
import { VirtualClock } from '../../src/time/clock.js';

function obj(name: string, rv: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv }, ...extra };
}

/** A watch the test drives: push events, then end it cleanly or with an error. */
interface LiveWatch {
  resourceVersion: string;
  push(event: RawWatchEvent): void;
  end(): void;
  fail(error: unknown): void;
}

function scriptedSource() {
  const lists: (() => Promise<{ items: KubeObject[]; resourceVersion: string }>)[] = [];
  const watches: LiveWatch[] = [];
  let watchArrived: (() => void) | undefined;
  const log: string[] = [];
  return {
    log,
    watches,
    queueList(items: KubeObject[], resourceVersion: string) {
      lists.push(async () => ({ items, resourceVersion }));
    },
    queueListError(error: unknown) {
      lists.push(async () => {
        throw error;
      });
    },
    /** Resolves once the informer has opened its n-th watch (1-based). */
    async nextWatch(n: number): Promise<LiveWatch> {
      while (watches.length < n) await new Promise<void>((resolve) => (watchArrived = resolve));
      return watches[n - 1]!;
    },
    list: async () => {
      const next = lists.shift();
      log.push('list');
      if (!next) throw new Error('unexpected list');
      return next();
    },
    watch: (resourceVersion: string, onEvent: (e: RawWatchEvent) => void, signal: AbortSignal) => {
      log.push(`watch@${resourceVersion}`);
      return new Promise<void>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        watches.push({ resourceVersion, push: onEvent, end: resolve, fail: reject });
        watchArrived?.();
      });
    },
  };
}

/** A full garbage collection (V8's own, exposed for this test), after the current job so WeakRefs may clear. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

describe('createInformer', () => {
  it('lists once, then applies watch events and wakes waitFor', async () => {
    const src = scriptedSource();
    src.queueList([obj('a', '1')], '10');
    const inf = createInformer<KubeObject>({ ...src, clock: new VirtualClock(), describe: 'cm' });
    const events: WatchEvent[] = [];
    inf.onChange((e) => events.push(e));
    await inf.ready();
    expect(inf.items().map((o) => o.metadata.name)).toEqual(['a']);
    const w = await src.nextWatch(1);
    expect(w.resourceVersion).toBe('10');
    const waiting = inf.waitFor((items) => items.some((o) => o.metadata.name === 'b'));
    await new Promise((r) => setImmediate(r));
    w.push({ type: 'ADDED', object: obj('b', '11') });
    expect((await waiting).map((o) => o.metadata.name).sort()).toEqual(['a', 'b']);
    w.push({ type: 'MODIFIED', object: obj('a', '12') });
    w.push({ type: 'DELETED', object: obj('b', '13') });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']);
    expect(inf.items().map((o) => o.metadata.resourceVersion)).toEqual(['12']);
    inf.stop();
    expect(src.log).toEqual(['list', 'watch@10']);
  });

  it('resumes a cleanly ended watch from the last resourceVersion (bookmarks included) without relisting', async () => {
    const src = scriptedSource();
    src.queueList([], '5');
    const inf = createInformer<KubeObject>({ ...src, clock: new VirtualClock(), describe: 'cm' });
    const w1 = await src.nextWatch(1);
    w1.push({ type: 'ADDED', object: obj('a', '6') });
    w1.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } });
    w1.end();
    const w2 = await src.nextWatch(2);
    expect(w2.resourceVersion).toBe('9');
    expect(src.log).toEqual(['list', 'watch@5', 'watch@9']);
    inf.stop();
  });

  it('relists on a 410 Expired event and reports the differences as events', async () => {
    const src = scriptedSource();
    src.queueList([obj('a', '1'), obj('b', '2')], '2');
    src.queueList([obj('a', '1'), obj('b', '7'), obj('c', '8')], '8');
    const inf = createInformer<KubeObject>({ ...src, clock: new VirtualClock(), describe: 'cm' });
    const events: string[] = [];
    inf.onChange((e) => events.push(`${e.type} ${e.object.metadata.name}`));
    const w1 = await src.nextWatch(1);
    w1.push({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } });
    const w2 = await src.nextWatch(2);
    expect(w2.resourceVersion).toBe('8');
    expect(events).toEqual(['MODIFIED b', 'ADDED c']);
    expect(inf.items().map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'c']);

    src.queueList([obj('c', '8')], '9');
    w2.fail(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await src.nextWatch(3);
    expect(events.slice(2).sort()).toEqual(['DELETED a', 'DELETED b']);
    expect(src.log).toEqual(['list', 'watch@2', 'list', 'watch@8', 'list', 'watch@9']);
    inf.stop();
  });

  it('backs off on the clock and relists after a dropped stream', async () => {
    const src = scriptedSource();
    const clock = new VirtualClock({ autoAdvance: false });
    src.queueList([obj('a', '1')], '1');
    src.queueList([obj('a', '3')], '3');
    const inf = createInformer<KubeObject>({ ...src, clock, describe: 'cm', backoff: { initialMs: 500, maxMs: 4000 } });
    const w1 = await src.nextWatch(1);
    w1.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await new Promise((r) => setImmediate(r));
    expect(clock.pending).toBe(1); // sleeping the backoff, not relisting yet
    expect(src.log).toEqual(['list', 'watch@1']);
    await clock.advance(500);
    const w2 = await src.nextWatch(2);
    expect(w2.resourceVersion).toBe('3');
    expect(inf.items()[0]!.metadata.resourceVersion).toBe('3');
    inf.stop();
  });

  it('waits as long as a throttled list asks (Retry-After) before listing again', async () => {
    const src = scriptedSource();
    const clock = new VirtualClock({ autoAdvance: false });
    src.queueListError(new StepError('list: TooManyRequests (429)', { errorClass: 'transient', retryAfterMs: 5000 }));
    src.queueList([], '1');
    const inf = createInformer<KubeObject>({ ...src, clock, describe: 'cm', backoff: { initialMs: 100, maxMs: 1000 } });
    await new Promise((r) => setImmediate(r));
    await clock.advance(4999);
    expect(src.log).toEqual(['list']);
    await clock.advance(1);
    await inf.ready();
    expect(src.log.slice(0, 2)).toEqual(['list', 'list']);
    inf.stop();
  });

  it('retries a transient first list, and fails ready() on a permanent one', async () => {
    const src = scriptedSource();
    src.queueListError(new StepError('list: ServiceUnavailable (503)', { errorClass: 'transient' }));
    src.queueList([obj('a', '1')], '1');
    const inf = createInformer<KubeObject>({ ...src, clock: new VirtualClock(), describe: 'cm' });
    await inf.ready();
    expect(inf.items()).toHaveLength(1);
    inf.stop();

    const bad = scriptedSource();
    bad.queueListError(new StepError('list: Forbidden (403)', { errorClass: 'permanent' }));
    const inf2 = createInformer<KubeObject>({ ...bad, clock: new VirtualClock(), describe: 'cm' });
    await expect(inf2.ready()).rejects.toThrow(/Forbidden/);
    await expect(inf2.waitFor(() => true)).rejects.toThrow(/Forbidden/);
  });

  it('rejects waitFor on its own signal and when the informer stops', async () => {
    const src = scriptedSource();
    src.queueList([], '1');
    const inf = createInformer<KubeObject>({ ...src, clock: new VirtualClock(), describe: 'cm' });
    await inf.ready();
    const controller = new AbortController();
    const waiting = inf.waitFor(() => false, controller.signal);
    controller.abort(new Error('timed out'));
    await expect(waiting).rejects.toThrow('timed out');
    const waiting2 = inf.waitFor(() => false);
    inf.stop();
    await expect(waiting2).rejects.toThrow(/stopped/);
  });

  it('backs off when every watch is answered with 410 at once', async () => {
    const src = scriptedSource();
    const clock = new VirtualClock({ autoAdvance: false });
    src.queueList([], '1');
    src.queueList([], '1');
    const inf = createInformer<KubeObject>({ ...src, clock, describe: 'cm', backoff: { initialMs: 100, maxMs: 1000 } });
    (await src.nextWatch(1)).push({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    await new Promise((r) => setImmediate(r));
    expect(src.log).toEqual(['list', 'watch@1']); // waiting, not relisting in a loop
    await clock.advance(100);
    await src.nextWatch(2);
    expect(src.log).toEqual(['list', 'watch@1', 'list', 'watch@1']);
    inf.stop();
  });

  it('does not spin when watches keep closing immediately without events', async () => {
    const src = scriptedSource();
    const clock = new VirtualClock({ autoAdvance: false });
    src.queueList([], '1');
    const inf = createInformer<KubeObject>({ ...src, clock, describe: 'cm', backoff: { initialMs: 100, maxMs: 1000 } });
    (await src.nextWatch(1)).end();
    await new Promise((r) => setImmediate(r));
    expect(clock.pending).toBe(1);
    await clock.advance(100);
    (await src.nextWatch(2)).end();
    await new Promise((r) => setImmediate(r));
    await clock.advance(199);
    expect(src.watches).toHaveLength(2); // second backoff doubled to 200ms
    await clock.advance(1);
    await src.nextWatch(3);
    expect(src.log.filter((l) => l === 'list')).toHaveLength(1);
    inf.stop();
  });

  it('keeps no listed version alive once the watch has replaced it (a 10,000-object list must not outlive its objects)', async () => {
    const src = scriptedSource();
    const listed = (() => {
      const items = [obj('a', '1', { data: { big: 'x'.repeat(1000) } })];
      src.queueList(items, '10');
      return new WeakRef(items[0]!);
    })();
    const inf = createInformer<KubeObject>({ ...src, clock: new VirtualClock(), describe: 'cm' });
    await inf.ready();
    const w = await src.nextWatch(1);
    w.push({ type: 'MODIFIED', object: obj('a', '2') });
    expect(inf.items().map((o) => o.metadata.resourceVersion)).toEqual(['2']);
    await collectGarbage();
    expect(listed.deref(), 'the first list is still referenced while the informer watches').toBeUndefined();
    inf.stop();
  });
});
