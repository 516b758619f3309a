// A loopback HTTP forward proxy (CONNECT for https, absolute-URI for http) that sends every request through a policy.

import { request as httpRequest, createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NetworkPolicy, NetworkRoute } from './policy.js';

/** What starts the body of every refusal, so a script's output says who refused. */
export const REFUSAL_PREFIX = 'opsbook rehearse: ';

/** Headers that describe one hop, not the request (RFC 9110 §7.6.1), plus the proxy's own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export interface ForwardProxyOptions {
  /** Decides where each request goes; a throw refuses it (403, the error's message in the body). */
  policy: NetworkPolicy;
}

export interface ForwardProxy {
  /** `http://127.0.0.1:PORT`, for the *_proxy variables. */
  url: string;
  port: number;
  /** Stops listening and cuts every open tunnel and request. */
  close(): Promise<void>;
}

/** Starts the proxy on an ephemeral loopback port. */
export async function startForwardProxy(options: ForwardProxyOptions): Promise<ForwardProxy> {
  const open = new Set<Duplex>();
  const track = (socket: Duplex) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const server: Server = createServer((req, res) => forwardRequest(options.policy, req, res));
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    track(client);
    openTunnel(options.policy, req, client, head, track);
  });
  // A client that speaks something other than HTTP gets a 400 and the connection is closed (Node's default is silence).
  server.on('clientError', (_error, socket: Duplex) => {
    if (socket.writable) socket.end(statusLine(400, 'Bad Request', 'malformed proxy request'));
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/** A complete HTTP/1.1 response for a raw socket (CONNECT and parse errors have no ServerResponse). */
function statusLine(status: number, reason: string, body: string, extra: Record<string, string> = {}): string {
  const text = `${REFUSAL_PREFIX}${body}\n`;
  const headers = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), connection: 'close', ...extra };
  return `HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${text}`;
}

/** The route for `url`, or the refusal's status and text; the policy records the attempt either way. */
function decide(policy: NetworkPolicy, url: URL): { route: NetworkRoute } | { refused: string } {
  try {
    return { route: policy.route(url) };
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}

/** RFC 9209: says which proxy refused and why, for clients that show headers but not a CONNECT reply's body. */
const proxyStatus = (details: string) => ({ 'proxy-status': `opsbook; error=http_request_denied; details=${JSON.stringify(details)}` });

/** `CONNECT host:port`: a byte tunnel to where the policy routes the host; TLS stays end to end. */
function openTunnel(policy: NetworkPolicy, req: IncomingMessage, client: Duplex, head: Buffer, track: (s: Duplex) => void): void {
  client.on('error', () => client.destroy());
  const url = parseAuthority(req.url ?? '');
  if (!url) {
    client.end(statusLine(400, 'Bad Request', `CONNECT needs host:port (got ${JSON.stringify(req.url ?? '')})`));
    return;
  }
  const decision = decide(policy, url);
  if ('refused' in decision) {
    client.end(statusLine(403, 'Forbidden', decision.refused, proxyStatus(decision.refused)));
    return;
  }
  const upstream: Socket = connect(decision.route.port, decision.route.host);
  track(upstream);
  let established = false;
  upstream.once('connect', () => {
    established = true;
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.once('error', (error) => {
    if (!established && client.writable) client.end(statusLine(502, 'Bad Gateway', `cannot reach ${url.host}: ${error.message}`));
    else client.destroy();
  });
  // Either side hanging up ends the other, so no half-open tunnel outlives its client.
  upstream.once('close', () => {
    if (established) client.destroy();
  });
  client.once('close', () => upstream.destroy());
}

/** `host:port` of a CONNECT as an https URL, or undefined when it is not one (no port, a path, bad characters). */
function parseAuthority(authority: string): URL | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(authority);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) return undefined;
  try {
    return new URL(`https://${match[1]}:${match[2]}/`);
  } catch {
    return undefined;
  }
}

/** `GET http://host/path`: forwarded to where the policy routes the host (over TLS when the stand-in speaks it). */
function forwardRequest(policy: NetworkPolicy, req: IncomingMessage, res: ServerResponse): void {
  const refuse = (status: number, reason: string, text: string, extra: Record<string, string> = {}) => {
    const body = `${REFUSAL_PREFIX}${text}\n`;
    res.writeHead(status, reason, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close', ...extra });
    res.end(body);
  };
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    return refuse(400, 'Bad Request', `a proxy request names an absolute URL (got ${JSON.stringify(req.url ?? '')})`);
  }
  const decision = decide(policy, url);
  if ('refused' in decision) return refuse(403, 'Forbidden', decision.refused, proxyStatus(decision.refused));
  if (url.protocol !== 'http:') return refuse(501, 'Not Implemented', `only http:// requests and CONNECT are proxied (got ${url.protocol})`);
  const { route } = decision;
  const send = route.ca ? httpsRequest : httpRequest;
  const upstream = send({
    host: route.host,
    port: route.port,
    method: req.method,
    path: `${url.pathname}${url.search}`,
    headers: { ...endToEnd(req.headers), host: url.host },
    agent: false,
    ...(route.ca ? { ca: route.ca, servername: url.hostname } : {}),
  });
  upstream.once('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers) as OutgoingHttpHeaders);
    answer.pipe(res);
    answer.once('error', () => res.destroy());
  });
  upstream.once('error', (error) => {
    if (!res.headersSent) refuse(502, 'Bad Gateway', `cannot reach ${url.host}: ${error.message}`);
    else res.destroy();
  });
  // The client hanging up mid-request or mid-response ends the upstream request too.
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** The headers minus hop-by-hop ones and any the Connection header names. */
function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !named.has(name)));
}
