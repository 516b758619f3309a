// Serves the Assisted Installer API and the SSO token endpoint over HTTPS on the loopback, with a certificate from the
// simulation's CA naming the hosts it impersonates; records every request (never a credential) for reports and tests.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../time/clock.js';
import type { AssistedInstallerSpec } from '../scenario/types.js';
import { API_PREFIX, IMAGES_PREFIX } from './render.js';
import { AssistedApi, apiError, type Reply } from './routes.js';
import { createSso, TOKEN_PATH, type Sso } from './sso.js';

/** Bodies larger than this are refused (the real API's requests are a few kB). */
const MAX_BODY = 1 << 20;

export interface AssistedRequest {
  method: string;
  /** The Host header: the impersonated name the client asked for. */
  host: string;
  path: string;
  status: number;
  /** Whether an Authorization header was sent (never its value). */
  authorized: boolean;
  /** The parsed JSON body of API requests (tests check what was sent; the token endpoint's form is not kept). */
  body?: unknown;
}

export interface AssistedServiceOptions {
  spec: AssistedInstallerSpec;
  clock: Clock;
  /** Serving key and certificate (PEM) naming every impersonated host. */
  tls: { key: string; cert: string };
  /** The installed host's machine boots and joins the cluster. */
  onInstalled: (hostname: string) => void;
  /** @default 0 (any free port) */
  port?: number;
}

export interface AssistedSummary {
  impersonates: string[];
  requests: number;
  tokensIssued: number;
  /** API requests refused with 401 because the access token had expired. */
  expiredTokens: number;
  hosts: Array<{ name: string; status: string; history: string[] }>;
}

export interface AssistedService {
  readonly port: number;
  readonly requests: readonly AssistedRequest[];
  tokensIssued(): number;
  hostStatuses(): Record<string, string>;
  summary(): AssistedSummary;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

export async function startAssistedService(options: AssistedServiceOptions): Promise<AssistedService> {
  const { spec, clock } = options;
  const stopping = new AbortController();
  const sso: Sso = createSso({ clock, offlineToken: spec.offlineToken, lifetimeMs: spec.tokenLifetime });
  const api = new AssistedApi({ clock, spec, imageHost: spec.impersonates[0]!, onInstalled: options.onInstalled, signal: stopping.signal });
  const requests: AssistedRequest[] = [];
  let expired = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    const record: AssistedRequest = { method, host: req.headers.host ?? '', path: url.pathname, status: 0, authorized: req.headers.authorization !== undefined };
    requests.push(record);
    const text = await readBody(req);
    const reply = (r: Reply, extra?: Record<string, string>) => {
      record.status = r.status;
      send(res, r, extra);
    };
    if (text === undefined) return reply(apiError(413, 'request body too large'));
    if (url.pathname === TOKEN_PATH) {
      if (method !== 'POST') return reply({ status: 405, body: { error: 'invalid_request', error_description: 'HTTP method not allowed' } });
      const answer = sso.token(new URLSearchParams(text));
      return reply({ status: answer.status, body: answer.body }, { 'cache-control': 'no-store' });
    }
    if (url.pathname.startsWith(IMAGES_PREFIX)) return reply(api.image(url.pathname.slice(IMAGES_PREFIX.length)));
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) return reply(apiError(404, `no such endpoint: ${method} ${url.pathname}`));
    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        return reply(apiError(400, 'request body is not valid JSON'));
      }
      record.body = body;
    }
    const check = sso.check(req.headers.authorization);
    if (check !== 'valid') {
      if (check === 'expired') expired++;
      const why = { missing: 'no Authorization header', invalid: 'invalid token', expired: 'token is expired' }[check];
      return reply(apiError(401, `Unauthorized: ${why}`), { 'www-authenticate': 'Bearer realm="redhat-external"' });
    }
    return reply(api.handle(method, url.pathname.slice(API_PREFIX.length), url.searchParams, body));
  };

  const server: Server = createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, apiError(500, 'internal error'));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const hostStates = () => api.hostStates();
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    tokensIssued: () => sso.issued(),
    hostStatuses: () => Object.fromEntries(hostStates().map((h) => [h.name, h.status])),
    summary: () => ({ impersonates: [...spec.impersonates], requests: requests.length, tokensIssued: sso.issued(), expiredTokens: expired, hosts: hostStates() }),
    stop: () => {
      stopping.abort();
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
