// One HTTP exchange (through the run's network policy), turned into a plain response or a classified StepError.

import { StepError } from '../../errors.js';
import { directNetwork, type NetworkPolicy } from '../../net/index.js';
import { formatDurationHuman } from '../../time/duration.js';
import type { HttpMethod } from './params.js';
import type { SecretMask } from './redact.js';
import { exchange, type RawResponse } from './transport.js';

/** What CEL expressions see as `response`. */
export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed body when it is JSON, else null. */
  json: unknown;
  text: string;
}

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** Authorization header value, kept apart so nothing prints it. */
  authorization?: string;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Builds the URL with the query parameters added. */
export function buildUrl(base: string, query: Record<string, string>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(query)) url.searchParams.append(k, v);
  return url.toString();
}

/**
 * Credentials written in the URL (`https://user:password@host/`) leave it for a basic auth header (so the URL can be
 * shown and logged); the header's base64 is returned so the caller can mask it like the password itself.
 */
export function splitCredentials(url: string): { url: string; basic?: string } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { url };
  const basic = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`, 'utf8').toString('base64');
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), basic };
}

/** The request body and its content type. */
export function encodeBody(json: unknown, form: Record<string, string> | undefined): { body?: string; contentType?: string } {
  if (form !== undefined) return { body: new URLSearchParams(form).toString(), contentType: 'application/x-www-form-urlencoded' };
  if (json !== undefined) return { body: JSON.stringify(json), contentType: 'application/json' };
  return {};
}

function parseJsonBody(text: string, contentType: string): unknown {
  if (!text) return null;
  if (!/json/i.test(contentType) && !/^\s*[[{]/.test(text)) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Names a network failure by its code (ECONNREFUSED …), looking through its `cause`s. */
function describeNetworkError(error: unknown): { text: string; code?: string } {
  let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let i = 0; i < 4 && e; i++) {
    if (typeof e.code === 'string') return { text: `${e.code}${e.message ? `: ${String(e.message)}` : ''}`, code: e.code };
    e = e.cause as typeof e;
  }
  return { text: error instanceof Error ? error.message : String(error) };
}

/**
 * Sends one request through `network` (@default direct); throws transient StepErrors for network failures and timeouts,
 * the policy's permanent "not simulated" error as it is, and rethrows cancellation.
 */
export async function sendRequest(request: HttpRequest, mask: SecretMask, network: NetworkPolicy = directNetwork): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5', ...request.headers };
  if (request.authorization) headers.authorization = request.authorization;
  const label = `${request.method} ${mask.redact(request.url)}`;
  let res: RawResponse;
  try {
    res = await exchange(network, {
      method: request.method,
      url: request.url,
      headers,
      body: request.body,
      signal: AbortSignal.any([request.signal, timeout]),
    });
  } catch (error) {
    if (error instanceof StepError) throw new StepError(`${label}: ${mask.redact(error.message)}`, { errorClass: error.errorClass, cause: error });
    if (request.signal.aborted) throw request.signal.reason ?? error;
    if (timeout.aborted) {
      throw new StepError(`${label}: no response within ${formatDurationHuman(request.timeoutMs)}`, { errorClass: 'transient' });
    }
    const { text } = describeNetworkError(error);
    throw new StepError(`${label}: request failed (${mask.redact(text)})`, { errorClass: 'transient', cause: error });
  }
  const text = request.method === 'HEAD' ? '' : res.text;
  const json = parseJsonBody(text, res.headers['content-type'] ?? '');
  mask.addFromJson(json);
  return { status: res.status, headers: res.headers, json, text };
}
