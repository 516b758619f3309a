// One HTTP(S) exchange over node:http/https, opening the socket the network policy names (the host itself, or the
// simulation answering for it with the TLS name and Host header kept) and following redirects through the policy too.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { NetworkPolicy } from '../../net/index.js';

export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  text: string;
}

const MAX_REDIRECTS = 5;

function collectHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** One request/response on a socket the policy chose; rejects with the socket's error (code kept). */
function exchangeOnce(policy: NetworkPolicy, req: RawRequest): Promise<{ res: IncomingMessage; text: string }> {
  const url = new URL(req.url);
  // Throws "not simulated" before any socket exists.
  const route = policy.route(url);
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = { host: url.host, ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      {
        method: req.method,
        host: route.host,
        port: route.port,
        path: `${url.pathname}${url.search}`,
        headers,
        signal: req.signal,
        // The certificate must name the URL's host, whoever answers for it.
        ...(secure ? { servername: url.hostname.replace(/^\[|\]$/g, ''), ...(route.ca ? { ca: route.ca } : {}) } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ res, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
        res.on('aborted', () => reject(Object.assign(new Error('response body cut off'), { code: 'ECONNRESET' })));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Sends the request, following up to 5 redirects (303, and 301/302 after a POST, become GETs without a body). */
export async function exchange(policy: NetworkPolicy, request: RawRequest): Promise<RawResponse> {
  let current = request;
  for (let hop = 0; ; hop++) {
    const { res, text } = await exchangeOnce(policy, current);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(status) || !location || hop >= MAX_REDIRECTS) {
      return { status, headers: collectHeaders(res), text };
    }
    const toGet = status === 303 || ((status === 301 || status === 302) && current.method === 'POST');
    const target = new URL(location, current.url);
    const headers = { ...current.headers };
    // Credentials stay with the origin that was given them.
    if (target.origin !== new URL(current.url).origin) delete headers.authorization;
    if (toGet) delete headers['content-type'];
    current = { ...current, url: target.toString(), headers, ...(toGet ? { method: 'GET', body: undefined } : {}) };
  }
}
