// Watch streams: initial state or history replay from a resourceVersion, selector transitions, bookmarks, 410 Expired.

import type { ServerResponse } from 'node:http';
import type { ResourceDef } from '../resources.js';
import type { ObjectStore } from '../store/store.js';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.js';
import type { KObject, StoreEvent, StoredObject } from '../store/types.js';
import { expired } from './status.js';
import { renderTable, type IncludeObject } from './tables.js';

export interface WatchRequest {
  def: ResourceDef;
  namespace: string | undefined;
  labelSelector: string | null;
  fieldSelector: string | null;
  resourceVersion: string | null;
  allowBookmarks: boolean;
  /** undefined: initial events only when resourceVersion is unset or "0"; false: never, true: always. */
  sendInitialEvents: boolean | undefined;
  /** Real seconds until the server ends the stream. */
  timeoutSeconds: number;
  /** Render objects as Tables (kubectl get -w). */
  table: { include: IncludeObject } | undefined;
}

export interface WatchSettings {
  store: ObjectStore;
  bookmarkIntervalMs: number;
  /** Real ms after which the stream is cut by a fault (0 = never). */
  cutAfterMs: number;
  cutAbrupt: boolean;
  onCut: () => void;
}

type Json = Record<string, unknown>;

/** Streams watch events until the client leaves, the timeout passes or a fault cuts it. Call after auth checks. */
export function serveWatch(res: ServerResponse, request: WatchRequest, settings: WatchSettings): void {
  const { store } = settings;
  const { def } = request;
  // Parse selectors before committing to a 200, so a bad selector is still a 400 Status.
  const labels = parseLabelSelector(request.labelSelector);
  const fields = parseFieldSelector(request.fieldSelector, def);
  const namespace = def.namespaced ? request.namespace : undefined;
  const matches = (object: KObject | undefined): boolean =>
    object !== undefined && (!namespace || object.metadata.namespace === namespace) && labels(object) && fields(object);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let columnsSent = false;
  let lastRv = store.resourceVersion;

  const line = (type: string, stored: StoredObject): string => {
    if (!request.table) return `{"type":"${type}","object":${stored.json}}\n`;
    const table = renderTable(def, [stored.object], { resourceVersion: String(stored.rv) }, store.now(), request.table.include, !columnsSent);
    columnsSent = true;
    return `${JSON.stringify({ type, object: table })}\n`;
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    const object: Json = { kind: def.kind, apiVersion: def.apiVersion, metadata: { resourceVersion: String(Math.max(lastRv, store.resourceVersion)), ...(annotations ? { annotations } : {}) } };
    res.write(`${JSON.stringify({ type: 'BOOKMARK', object })}\n`);
  };

  const deliver = (event: StoreEvent): void => {
    const now = matches(event.stored.object);
    const before = event.previous !== undefined && matches(event.previous);
    let type: string | undefined;
    if (event.type === 'ADDED') type = now ? 'ADDED' : undefined;
    else if (event.type === 'DELETED') type = before ? 'DELETED' : undefined;
    else if (before && now) type = 'MODIFIED';
    else if (!before && now) type = 'ADDED';
    else if (before && !now) type = 'DELETED';
    lastRv = event.rv;
    if (type) res.write(line(type, event.stored));
  };

  const rv = request.resourceVersion;
  let unsubscribe: () => void = () => {};
  if (request.sendInitialEvents ?? (!rv || rv === '0')) {
    for (const stored of store.list(def, namespace)) if (matches(stored.object)) res.write(line('ADDED', stored));
    lastRv = store.resourceVersion;
    if (request.sendInitialEvents && request.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else if (rv && rv !== '0') {
    const since = Number(rv);
    const events = Number.isFinite(since) ? store.eventsSince(def, since) : 'expired';
    if (events === 'expired') {
      const status = expired(`too old resource version: ${rv} (${store.oldestResumableRv})`).toStatus();
      res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return;
    }
    for (const event of events) deliver(event);
  }
  unsubscribe = store.subscribe(def, deliver);

  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  const finish = (how: 'end' | 'destroy'): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    for (const t of timers) clearTimeout(t);
    if (how === 'destroy') res.socket?.destroy();
    else res.end();
  };
  if (request.allowBookmarks && settings.bookmarkIntervalMs > 0) {
    const tick = setInterval(() => bookmark(), settings.bookmarkIntervalMs);
    timers.push(tick);
  }
  timers.push(
    setTimeout(() => {
      if (request.allowBookmarks) bookmark();
      finish('end');
    }, request.timeoutSeconds * 1000),
  );
  if (settings.cutAfterMs > 0) {
    timers.push(
      setTimeout(() => {
        settings.onCut();
        finish(settings.cutAbrupt ? 'destroy' : 'end');
      }, settings.cutAfterMs),
    );
  }
  res.on('close', () => finish('end'));
}
