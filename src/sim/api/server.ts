// The HTTPS front of the simulated API server: auth, content negotiation, faults, counters, then ApiCore or watch.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseYamlDocuments } from '../../yaml/index.js';
import { indexResources, type ResourceDef } from '../resources.js';
import type { ObjectStore } from '../store/store.js';
import type { StoredObject } from '../store/types.js';
import { Authenticator, authenticateClientCertificate, impersonate, isAdmin, type UserInfo } from './auth.js';
import type { ApiCore, PatchKind, WriteOptions } from './core.js';
import type { Counters } from './counters.js';
import { deletedBody } from './deleted.js';
import { aggregatedContentType, buildDiscovery, wantsAggregated, type DiscoveryDocs } from './discovery.js';
import type { FaultInjector } from './faults.js';
import { checkListResourceVersion, readListOptions, type ListQuery } from './list-options.js';
import { decodeProtobufObject } from './protobuf.js';
import { readBool } from './query.js';
import { routeResource, type ResourceRoute } from './router.js';
import { ApiError, badRequest, forbidden, internalError, methodNotAllowed, serviceUnavailable, tooManyRequests } from './status.js';
import { renderTable, type IncludeObject } from './tables.js';
import { serveWatch } from './watch.js';
import { readWriteOptions } from './write-options.js';
import { answerReview, isReviewPath, REVIEW_DEFS } from './reviews.js';
import { evictPod, markPodDeleted, servePodLog } from '../workloads/pod-api.js';
import { CONTROLLER } from '../actors/access.js';
import { collectDependents, propagationOf } from './gc.js';

export interface ApiServerOptions {
  core: ApiCore;
  store: ObjectStore;
  defs: ResourceDef[];
  auth: Authenticator;
  counters: Counters;
  faults: FaultInjector;
  tls: { key: string; cert: string };
  version: Record<string, string>;
  bookmarkIntervalMs: number;
  /** Default server-side watch timeout (real seconds) when the client sends none. */
  watchTimeoutSeconds: number;
  /** OpenAPI documents served at /openapi/v2 and /openapi/v3 paths (JSON text by path). */
  openapi: (path: string) => string | undefined;
  /** Accept client certificates issued by this CA (read on each request: a restart may bring a new one), checked at `now`. */
  clientCertificates?: { caPem(): string; now(): number };
}

const MAX_BODY = 3 * 1024 * 1024;
const JSON_TYPE = 'application/json';
const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';
const HEALTH = new Set(['/healthz', '/livez', '/readyz']);
const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

const PATCH_TYPES: Record<string, PatchKind> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

function send(res: ServerResponse, code: number, body: string, contentType = JSON_TYPE, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, error: unknown): void {
  const apiError = error instanceof ApiError ? error : internalError((error as Error)?.message ?? String(error));
  const headers: Record<string, string> = {};
  if (apiError.details?.retryAfterSeconds !== undefined) headers['Retry-After'] = String(apiError.details.retryAfterSeconds);
  if (res.headersSent) {
    res.end();
    return;
  }
  send(res, apiError.code, JSON.stringify(apiError.toStatus()), JSON_TYPE, headers);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new ApiError(413, 'BadRequest', 'the request body is too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request body could not be decoded: ${(error as Error).message}`);
  }
}

/** The counter's resource part: "certificatesigningrequests/approval". */
function resourceKeyOf(route: ResourceRoute): string {
  return route.subresource ? `${route.def.resource}/${route.subresource}` : route.def.resource;
}

/** The verb counted and authorized for a resource request. */
function verbOf(method: string, route: ResourceRoute, watch: boolean): string {
  switch (method) {
    case 'GET':
      return route.name ? (watch ? 'watch' : 'get') : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function tableRequest(accept: string | undefined, query: URLSearchParams): { include: IncludeObject } | undefined {
  if (!accept || !accept.includes('as=Table')) return undefined;
  const include = query.get('includeObject');
  return { include: include === 'None' || include === 'Object' ? include : 'Metadata' };
}

export class ApiServer {
  private readonly server: Server;
  private readonly index: Map<string, ResourceDef>;
  private discovery: DiscoveryDocs | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly versionJson: string;

  constructor(private readonly options: ApiServerOptions) {
    this.index = indexResources(options.defs);
    this.versionJson = JSON.stringify(options.version);
    // Client certificates are requested, never required by TLS: like kube-apiserver, the authenticator judges them.
    const clientAuth = options.clientCertificates ? { requestCert: true, rejectUnauthorized: false } : {};
    this.server = createServer({ key: options.tls.key, cert: options.tls.cert, keepAliveTimeout: 60_000, ...clientAuth }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => sendError(res, error));
    });
    this.server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('tlsClientError', () => {});
    this.server.on('connection', (socket: Socket) => {
      if (this.down) socket.destroy();
    });
  }

  private down = false;

  /** A stopped kube-apiserver container: open connections drop and new ones are refused until resumeServing(). */
  stopServing(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  /** The restarted process serves again, with the serving certificate it read at start. */
  resumeServing(tls?: { key: string; cert: string }): void {
    if (tls) this.server.setSecureContext({ key: tls.key, cert: tls.cert });
    this.down = false;
  }

  private authenticate(req: IncomingMessage): UserInfo {
    const certs = this.options.clientCertificates;
    if (!req.headers.authorization && certs) {
      const peer = (req.socket as Socket & { getPeerCertificate?: (detailed: boolean) => { raw?: Buffer } }).getPeerCertificate?.(false);
      if (peer?.raw) return authenticateClientCertificate(peer.raw, certs.caPem(), certs.now());
    }
    return this.options.auth.authenticate(req.headers.authorization);
  }

  /** Listens on 127.0.0.1 and resolves the port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        const actual = typeof address === 'object' && address ? address.port : port;
        this.discovery = buildDiscovery([...this.options.defs, ...REVIEW_DEFS], `127.0.0.1:${actual}`);
        resolve(actual);
      });
    });
  }

  /** Stops accepting, ends watches and idle keep-alive connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.server.closeAllConnections?.();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    // go-restful, which serves /version, discovery and resources, ignores one trailing slash.
    const rawPath = q < 0 ? url : url.slice(0, q);
    const path = rawPath.length > 1 && rawPath.endsWith('/') && !rawPath.endsWith('//') ? rawPath.slice(0, -1) : rawPath;
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const { counters } = this.options;
    if (HEALTH.has(rawPath) || rawPath.startsWith('/readyz/') || rawPath.startsWith('/livez/')) {
      counters.count('get', path);
      return send(res, 200, 'ok', 'text/plain; charset=utf-8');
    }
    if (path === '/version') {
      counters.count('get', '/version');
      return send(res, 200, this.versionJson);
    }
    const requester = this.authenticate(req);
    const user = impersonate(requester, req.headers, req.headersDistinct as Record<string, string[]>);
    if (isReviewPath(path)) {
      if (req.method !== 'POST') throw methodNotAllowed('the server does not allow this method on the requested resource');
      counters.count('create', path.split('/').pop()!);
      const raw = await readBody(req);
      const body = (req.headers['content-type'] ?? '').startsWith(PROTOBUF_TYPE) ? decodeProtobufObject(raw) : parseJson(raw.toString('utf8'));
      return send(res, 201, JSON.stringify(answerReview(path, body, user, this.options.core.rbac)));
    }
    const route = routeResource(path, this.index);
    if (!route) return this.handleNonResource(req, res, path, rawPath, user);
    // As the real request-info filter: ?watch= counts only on collections (a named GET stays a get); any value but 0/false is true.
    const watch = route.watchPrefix || (!route.name && (req.method ?? 'GET') === 'GET' && readBool(query, 'watch'));
    const method = req.method ?? 'GET';
    const verb = verbOf(method, route, watch);
    const resourceKey = resourceKeyOf(route);
    // Dry runs get their own key ("patch(dryRun) configs") so "plan sent no real mutation" is checkable from counters.
    counters.count(MUTATING.has(verb) && query.has('dryRun') ? `${verb}(dryRun)` : verb, resourceKey);
    if (this.options.faults.enabled) {
      const proceed = await this.injectFault(req, res, verb, resourceKey);
      if (!proceed) return;
    }
    await this.handleResource(req, res, route, verb, query, user, watch);
  }

  /** Applies the scenario's faults; false when the request was answered (or dropped) by a fault. */
  private async injectFault(req: IncomingMessage, res: ServerResponse, verb: string, resource: string): Promise<boolean> {
    const decision = this.options.faults.decide(verb, resource);
    if (decision.delayMs > 0) {
      this.options.counters.countFault('latency');
      await new Promise((r) => setTimeout(r, decision.delayMs));
    }
    switch (decision.kind) {
      case 'none':
        return true;
      case 'reset':
        this.options.counters.countFault('reset');
        req.socket.destroy();
        return false;
      case 'throttle':
        this.options.counters.countFault('429');
        sendError(res, tooManyRequests(decision.retryAfterSeconds));
        return false;
      case 'error':
        this.options.counters.countFault(String(decision.code));
        sendError(res, decision.code === 503 ? serviceUnavailable('the server is currently unable to handle the request') : internalError('injected fault'));
        return false;
    }
  }

  /** Discovery and /version (go-restful, trailing slash ignored: `path`) and OpenAPI (exact paths: `rawPath`). */
  private handleNonResource(req: IncomingMessage, res: ServerResponse, path: string, rawPath: string, user: UserInfo): void {
    const { counters } = this.options;
    const docs = this.discovery!;
    if (req.method !== 'GET') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    if (path === '/debug/counters') {
      if (!isAdmin(user)) throw forbidden(user.username, 'get', { group: '', resource: 'debug' });
      return send(res, 200, JSON.stringify({ requests: counters.snapshot(), faults: counters.faultSnapshot(), total: counters.totalRequests }));
    }
    const aggregated = (path === '/api' || path === '/apis') && wantsAggregated(req.headers.accept);
    if (aggregated) {
      counters.count('get', `discovery`);
      const body = path === '/api' ? docs.aggregatedCore[aggregated] : docs.aggregatedApis[aggregated];
      return send(res, 200, body, aggregatedContentType(aggregated));
    }
    const legacy = docs.legacy.get(path);
    if (legacy) {
      counters.count('get', 'discovery');
      return send(res, 200, legacy);
    }
    if (rawPath.startsWith('/openapi/')) {
      counters.count('get', 'openapi');
      const doc = this.options.openapi(rawPath);
      if (doc) return send(res, 200, doc);
    }
    counters.count('get', 'notfound');
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  private async handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    route: ResourceRoute,
    verb: string,
    query: URLSearchParams,
    user: UserInfo,
    watch: boolean,
  ): Promise<void> {
    const { core, store } = this.options;
    const { def, namespace, name, subresource } = route;
    // pods/log and pods/eviction are answered by the simulated kubelet's side (src/sim/workloads), not the store.
    if (def.resource === 'pods' && def.group === '' && subresource === 'log' && verb === 'get') return servePodLog(core, def, res, namespace!, name!, query, user);
    if (def.resource === 'pods' && def.group === '' && subresource === 'eviction' && verb === 'create') {
      const raw = await readBody(req);
      const body = (req.headers['content-type'] ?? '').startsWith(PROTOBUF_TYPE) ? decodeProtobufObject(raw) : parseJson(raw.toString('utf8'));
      return send(res, 201, JSON.stringify(await evictPod(core, def, namespace!, name!, user, store.now(), body)));
    }
    const table = tableRequest(req.headers.accept, query);
    if (verb === 'get') {
      const stored = core.get(user, def, namespace, name!);
      return this.sendObject(res, 200, def, stored, table);
    }
    if (verb === 'list') {
      core.authorize(user, 'list', def, { namespace }); // the real authorization filter answers 403 before any 400/422
      const list = readListOptions(query, def, false);
      const atRv = checkListResourceVersion(list, store.resourceVersion, (rv) => {
        const events = store.eventsSince(def, rv);
        return events !== 'expired' && events.length === 0;
      });
      const result = core.list(user, def, namespace, list);
      const listMeta: Record<string, unknown> = { resourceVersion: atRv ?? result.resourceVersion };
      if (result.continue) listMeta.continue = result.continue;
      if (result.remainingItemCount !== undefined) listMeta.remainingItemCount = result.remainingItemCount;
      if (table) {
        return send(res, 200, JSON.stringify(renderTable(def, result.items.map((s) => s.object), listMeta, store.now(), table.include)));
      }
      const head = `{"kind":"${def.kind}List","apiVersion":"${def.apiVersion}","metadata":${JSON.stringify(listMeta)},"items":[`;
      return send(res, 200, `${head}${result.items.map((s) => s.json).join(',')}]}`);
    }
    if (verb === 'watch') {
      core.authorize(user, 'watch', def, { namespace, name });
      const list = readListOptions(query, def, true);
      const fieldSelector = name ? [list.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(',') : list.fieldSelector;
      return serveWatch(
        res,
        {
          def,
          namespace,
          labelSelector: list.labelSelector,
          fieldSelector,
          resourceVersion: list.resourceVersion,
          allowBookmarks: list.allowWatchBookmarks,
          sendInitialEvents: list.sendInitialEvents,
          timeoutSeconds: watchTimeout(list, this.options.watchTimeoutSeconds),
          table,
        },
        {
          store,
          bookmarkIntervalMs: this.options.bookmarkIntervalMs,
          cutAfterMs: this.options.faults.watchCutMs,
          cutAbrupt: this.options.faults.watchCutAbrupt,
          onCut: () => this.options.counters.countFault('watch-cut'),
        },
      );
    }
    const raw = await readBody(req);
    const contentType = (req.headers['content-type'] ?? JSON_TYPE).split(';')[0]!.trim();
    const protobuf = contentType === PROTOBUF_TYPE;
    const text = protobuf ? '' : raw.toString('utf8');
    const decode = (): unknown => (protobuf ? decodeProtobufObject(raw) : parseJson(text));
    const options: WriteOptions = readWriteOptions(query, verb, verb === 'patch' && PATCH_TYPES[contentType] === 'apply');
    switch (verb) {
      case 'create': {
        if (name) throw methodNotAllowed(`POST is not supported on ${def.resource}/${name}`);
        options.fieldManager ??= defaultManager(req);
        const result = await core.create(user, def, namespace, decode(), options);
        return this.sendObject(res, 201, def, result.stored, table);
      }
      case 'update': {
        options.fieldManager ??= defaultManager(req);
        const result = await core.update(user, def, namespace, name!, subresource, decode(), options);
        return this.sendObject(res, 200, def, result.stored, table);
      }
      case 'patch': {
        const kind = PATCH_TYPES[contentType];
        if (!kind) {
          throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`);
        }
        const body = kind === 'apply' ? parseYamlDocuments(text, 'apply-patch')[0] : parseJson(text);
        if (kind !== 'apply') options.fieldManager ??= defaultManager(req);
        const result = await core.patch(user, def, namespace, name!, subresource, kind, body, options);
        return this.sendObject(res, result.created ? 201 : 200, def, result.stored, table);
      }
      case 'delete': {
        const body = parseJson(text) as { preconditions?: { resourceVersion?: string; uid?: string }; dryRun?: string[]; gracePeriodSeconds?: number; propagationPolicy?: string } | undefined;
        const propagation = propagationOf(def, query, body);
        if (body?.dryRun?.includes('All') && !options.dryRun) {
          options.dryRun = true;
          this.options.counters.reclassify(`delete ${resourceKeyOf(route)}`, `delete(dryRun) ${resourceKeyOf(route)}`);
        }
        // A pod a simulated kubelet runs is deleted gracefully (it stays, marked, until its containers stopped), as a real one is.
        const graceful = def.resource === 'pods' && def.group === '' && !options.dryRun && !body?.preconditions ? markPodDeleted(core, def, namespace!, name!, user, store.now(), gracePeriodOf(query, body)) : undefined;
        const stored = graceful ?? core.delete(user, def, namespace, name!, { ...options, preconditions: body?.preconditions });
        if (!graceful && !options.dryRun) await collectDependents(core, stored.object, propagation, (ns, pod) => markPodDeleted(core, this.index.get('/v1/pods')!, ns, pod, CONTROLLER, store.now()) !== undefined);
        return table ? this.sendObject(res, 200, def, stored, table) : send(res, 200, deletedBody(def, stored));
      }
      case 'deletecollection': {
        const list = readListOptions(query, def, false);
        const result = core.list(user, def, namespace, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
        const deleted = result.items.map((s) => core.delete(user, def, s.object.metadata.namespace, s.object.metadata.name, options));
        return send(res, 200, `{"kind":"${def.kind}List","apiVersion":"${def.apiVersion}","metadata":{"resourceVersion":"${store.resourceVersion}"},"items":[${deleted.map((s) => s.json).join(',')}]}`);
      }
      default:
        throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
  }

  private sendObject(res: ServerResponse, code: number, def: ResourceDef, stored: StoredObject, table: { include: IncludeObject } | undefined): void {
    if (table) {
      return send(res, code, JSON.stringify(renderTable(def, [stored.object], { resourceVersion: String(stored.rv) }, this.options.store.now(), table.include)));
    }
    send(res, code, stored.json);
  }
}

/** Real seconds a watch lasts: the client's timeoutSeconds (negative ends at once), else the server's default. */
function watchTimeout(list: ListQuery, fallback: number): number {
  if (list.timeoutSeconds === undefined || list.timeoutSeconds === 0) return fallback;
  return Math.max(0, list.timeoutSeconds);
}

/** The field manager the real server derives from the User-Agent when the client names none. */
function defaultManager(req: IncomingMessage): string {
  const agent = req.headers['user-agent'] ?? 'unknown';
  return agent.split('/')[0]!.slice(0, 128) || 'unknown';
}

export { Authenticator };

/** DeleteOptions.gracePeriodSeconds, from the body (kubectl) or the query string; undefined: the pod's own. */
function gracePeriodOf(query: URLSearchParams, body: { gracePeriodSeconds?: number } | undefined): number | undefined {
  const value = body?.gracePeriodSeconds ?? (query.has('gracePeriodSeconds') ? Number(query.get('gracePeriodSeconds')) : undefined);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
