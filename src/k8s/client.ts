// The one module that imports @kubernetes/client-node: kubeconfig loading, authenticated HTTPS transport, watch streams.

import { existsSync } from 'node:fs';
import { readFile as readFileFs } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import https from 'node:https';
import {
  HttpMethod as ClientHttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  Watch,
  type Cluster,
  type Context,
  type User,
} from '@kubernetes/client-node';
import { UsageError } from '../errors.js';
import { systemClock, type Clock } from '../time/clock.js';
import { mergeFirstWins, selectInClusterServer, selectKubeconfigSource, SERVICE_ACCOUNT_DIR, type KubeconfigSourceOptions } from './kubeconfig.js';
import { createRestClient } from './rest.js';
import type { KubeClient } from './types.js';
import type { HttpRequest, HttpResponse, QueryParams, RawWatchEvent, Transport } from './transport.js';

export interface CreateKubeClientOptions extends KubeconfigSourceOptions {
  /** Context to use instead of the kubeconfig's current-context. */
  context?: string;
  /** Reads kubeconfig files. @default fs.promises.readFile (utf-8) */
  readFile?: (path: string) => Promise<string>;
  /** Time for informer/lock backoff and CSR condition timestamps. @default systemClock */
  clock?: Clock;
  /** Where a pod's service account is mounted. @default SERVICE_ACCOUNT_DIR */
  serviceAccountDir?: string;
  /** Act as another identity (kubectl's --as/--as-group): Impersonate-User/-Group headers on every request and watch. */
  impersonate?: Impersonation;
}

export interface Impersonation {
  user?: string;
  groups?: string[];
}

/**
 * Connects to the cluster the kubeconfig names (kubectl precedence: `kubeconfig` text, `kubeconfigPath`,
 * `$KUBECONFIG` from `env` (none when omitted), `~/.kube/config` under `homeDir` (@default os.homedir())).
 * Nothing is sent until the first call.
 */
export async function createKubeClient(options: CreateKubeClientOptions = {}): Promise<KubeClient> {
  // The environment comes from the caller (src/cli passes its own): this module never reads process.env.
  const kc = await loadKubeConfig({ ...options, homeDir: options.homeDir ?? homedir() });
  if (options.impersonate) applyImpersonation(kc, options.impersonate);
  const transport = createClientNodeTransport(kc);
  const namespace = kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  return createRestClient(transport, { defaultNamespace: namespace, clock: options.clock ?? systemClock });
}

/** Loads and merges the kubeconfig, then selects the context; errors name the file and the missing piece. */
export async function loadKubeConfig(options: CreateKubeClientOptions): Promise<KubeConfig> {
  const read = options.readFile ?? ((path: string) => readFileFs(path, 'utf8'));
  const serviceAccountDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const inCluster = selectInClusterServer({ ...options, serviceAccountTokenPresent: options.serviceAccountTokenPresent ?? existsSync(join(serviceAccountDir, 'token')) });
  if (inCluster !== undefined) return selectContext(await loadInCluster(inCluster, serviceAccountDir, read), options.context);
  const source = selectKubeconfigSource(options);
  const configs: KubeConfig[] = [];
  if (source.kind === 'text') {
    configs.push(parseKubeConfig(source.text, '<kubeconfig text>'));
  } else {
    for (const path of source.paths) {
      let text: string;
      try {
        text = await read(path);
      } catch (error) {
        if (!source.required && (error as { code?: string }).code === 'ENOENT') continue;
        throw new UsageError(`cannot read kubeconfig ${path}: ${(error as Error).message}`, { cause: error });
      }
      const kc = parseKubeConfig(text, path);
      makePathsAbsolute(kc, dirname(path));
      configs.push(kc);
    }
  }
  if (configs.length === 0) {
    const looked = source.kind === 'files' && source.paths.length > 0 ? source.paths.join(', ') : 'nowhere';
    throw new UsageError(`no kubeconfig found (looked at ${looked}); set KUBECONFIG or pass --kubeconfig`);
  }
  const merged = new KubeConfig();
  merged.loadFromOptions({
    clusters: mergeFirstWins<Cluster>(configs.map((c) => c.clusters)),
    users: mergeFirstWins<User>(configs.map((c) => c.users)),
    contexts: mergeFirstWins<Context>(configs.map((c) => c.contexts)),
    currentContext: configs.map((c) => c.currentContext).find((name) => !!name) ?? '',
  });
  return selectContext(merged, options.context);
}

/**
 * client-node sends the kubeconfig user's `as` itself but has no groups: they are added where it builds its header
 * options, as an array (one header line per group, as kube-apiserver reads them), so requests and watches both carry them.
 */
function applyImpersonation(kc: KubeConfig, impersonation: Impersonation): void {
  const groups = impersonation.groups ?? [];
  if (!impersonation.user) {
    if (groups.length > 0) throw new UsageError('--as-group needs --as: groups are impersonated only together with a user, as kubectl requires');
    return;
  }
  const user = kc.getCurrentUser();
  if (!user) throw new UsageError('--as needs a kubeconfig user to authenticate the impersonating request');
  kc.users = kc.users.map((u) => (u === user ? { ...u, impersonateUser: impersonation.user } : u));
  const apply = kc.applyToHTTPSOptions.bind(kc);
  kc.applyToHTTPSOptions = async (opts) => {
    await apply(opts);
    if (groups.length > 0) opts.headers = { ...opts.headers, 'Impersonate-Group': groups };
  };
}

/** client-node's in-cluster shape (a tokenFile user, re-read as the token rotates), with the server from the caller's environment. */
async function loadInCluster(server: string, dir: string, read: (path: string) => Promise<string>): Promise<KubeConfig> {
  const kc = new KubeConfig();
  const namespace = await read(join(dir, 'namespace')).then((text) => text.trim(), () => undefined);
  kc.loadFromOptions({
    clusters: [{ name: 'inCluster', server, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: join(dir, 'token') } } }],
    contexts: [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', ...(namespace ? { namespace } : {}) }],
    currentContext: 'inClusterContext',
  });
  return kc;
}

function parseKubeConfig(text: string, label: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (error) {
    throw new UsageError(`invalid kubeconfig ${label}: ${(error as Error).message}`, { cause: error });
  }
  return kc;
}

// Relative certificate paths in a kubeconfig are relative to that file, as kubectl resolves them.
function makePathsAbsolute(kc: KubeConfig, root: string): void {
  const abs = (file?: string) => (file && !isAbsolute(file) ? join(root, file) : file);
  kc.clusters = kc.clusters.map((c) => ({ ...c, caFile: abs(c.caFile) }));
  kc.users = kc.users.map((u) => ({ ...u, certFile: abs(u.certFile), keyFile: abs(u.keyFile) }));
}

function selectContext(kc: KubeConfig, context: string | undefined): KubeConfig {
  const name = context || kc.getCurrentContext();
  if (!name) throw new UsageError('kubeconfig has no current-context; pass a context');
  const ctx = kc.getContextObject(name);
  if (!ctx) {
    const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
    throw new UsageError(`kubeconfig has no context "${name}" (known: ${known})`);
  }
  if (!kc.getCluster(ctx.cluster)) throw new UsageError(`context "${name}" names cluster "${ctx.cluster}", which is not defined`);
  if (ctx.user && !kc.getUser(ctx.user)) throw new UsageError(`context "${name}" names user "${ctx.user}", which is not defined`);
  kc.setCurrentContext(name);
  return kc;
}

interface HttpsOptions {
  headers?: Record<string, string | string[] | number>;
  auth?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  pfx?: Buffer;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** Requests go through client-node's fetch transport and auth, over one keep-alive agent per client. */
function createClientNodeTransport(kc: KubeConfig): Transport {
  const cluster = kc.getCurrentCluster()!;
  const server = cluster.server.replace(/\/+$/, '');
  const http = new IsomorphicFetchHttpLibrary();
  const watcher = new Watch(kc);
  let agent: Promise<https.Agent> | undefined;

  // One agent reuses TLS connections; client-node would otherwise build a fresh agent (and handshake) per request.
  const keepAliveAgent = () =>
    (agent ??= (async () => {
      const opts: HttpsOptions = {};
      await kc.applyToHTTPSOptions(opts as https.RequestOptions);
      const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = opts;
      return new https.Agent({ ca, cert, key, pfx, passphrase, rejectUnauthorized, servername, keepAlive: true, maxSockets: 32 });
    })());

  async function send(request: HttpRequest): Promise<HttpResponse> {
    const ctx = new RequestContext(buildUrl(server, request.path, request.query), request.method as ClientHttpMethod);
    ctx.setHeaderParam('Accept', request.accept ?? 'application/json');
    if (cluster.proxyUrl) {
      await kc.applySecurityAuthentication(ctx); // proxy agents are built by client-node itself
    } else {
      const opts: HttpsOptions = {};
      await kc.applyToHTTPSOptions(opts as https.RequestOptions); // refreshes exec/OIDC tokens
      const repeated: [string, string][] = [];
      for (const [name, value] of Object.entries(opts.headers ?? {})) {
        if (Array.isArray(value)) repeated.push(...value.map((v): [string, string] => [name, String(v)]));
        else ctx.setHeaderParam(name, String(value));
      }
      if (repeated.length > 0) sendRepeatedHeaders(ctx, repeated);
      if (opts.auth) ctx.setHeaderParam('Authorization', `Basic ${Buffer.from(opts.auth).toString('base64')}`);
      if (server.startsWith('https:')) ctx.setAgent(await keepAliveAgent());
    }
    if (request.body !== undefined) {
      ctx.setHeaderParam('Content-Type', request.contentType ?? 'application/json');
      ctx.setBody(request.body);
    }
    if (request.signal) ctx.setSignal(request.signal);
    const response = await http.send(ctx).toPromise();
    return { status: response.httpStatusCode, headers: lowerCaseKeys(response.headers), body: await response.body.text() };
  }

  function watch(path: string, query: QueryParams, onEvent: (event: RawWatchEvent) => void, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        controller?.abort();
        if (signal.aborted) reject(signal.reason);
        else if (error) reject(error);
        else resolve();
      };
      const onAbort = () => finish();
      if (signal.aborted) return finish();
      signal.addEventListener('abort', onAbort, { once: true });
      const onLine = (type: string, object: unknown) => {
        if (!settled) onEvent({ type: type as RawWatchEvent['type'], object: (object ?? {}) as Record<string, unknown> });
      };
      watcher.watch(path, query, onLine, (error: unknown) => finish(error ?? undefined)).then(
        (c) => {
          controller = c;
          if (settled) c.abort();
        },
        (error: unknown) => finish(error),
      );
    });
  }

  return { server, send, watch };
}

/**
 * node-fetch builds its Headers from an iterable of pairs when the object has one, so a header repeated once per value
 * (Impersonate-Group) reaches the server as separate lines instead of one comma-joined value.
 */
function sendRepeatedHeaders(ctx: RequestContext, repeated: [string, string][]): void {
  const headers = ctx.getHeaders();
  Object.defineProperty(headers, Symbol.iterator, {
    enumerable: false,
    value: function* () {
      yield* Object.entries(headers);
      yield* repeated;
    },
  });
}

function buildUrl(server: string, path: string, query: QueryParams | undefined): string {
  const url = new URL(server + path);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
