// Checks and normalises the `http` step's parameters once, so run() never sees an unfilled default.

import type { ParamIssue } from '../types.js';
import { parseDuration } from '../../time/duration.js';
import { checkCel } from '../../expr/cel.js';
import { listStatusEntries, parseStatusRange, type StatusRange } from './status.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export interface OAuth2Params {
  tokenUrl: string;
  clientId: string;
  refreshToken: string;
  scope?: string;
}

export interface HttpParams {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  bearer?: string;
  oauth2?: OAuth2Params;
  expectStatus: StatusRange[];
  /** Output name → CEL source over `response`. */
  outputs: Record<string, string>;
  until?: string;
  progress?: string;
  intervalMs: number;
  requestTimeoutMs: number;
}

const RESPONSE_VARS = ['response'];

/** Reads a duration written as '10s' or as milliseconds. */
function toMs(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  return parseDuration(String(value)) ?? fallback;
}

/** What the schema cannot say: CEL that does not parse, bad durations, bodies not allowed for the method. */
export function checkHttpParams(params: Record<string, unknown>): ParamIssue[] {
  const issues: ParamIssue[] = [];
  if (params.json !== undefined && params.form !== undefined) {
    issues.push({ path: 'form', message: 'use either `json` or `form` as the body, not both' });
  }
  if (params.bearer !== undefined && params.oauth2 !== undefined) {
    issues.push({ path: 'oauth2', message: 'use either `bearer` or `oauth2`, not both' });
  }
  const method = String(params.method ?? 'GET');
  if ((method === 'GET' || method === 'HEAD') && (params.json !== undefined || params.form !== undefined)) {
    issues.push({ path: params.json !== undefined ? 'json' : 'form', message: `${method} requests carry no body` });
  }
  listStatusEntries(params.expectStatus).forEach((entry, i) => {
    if (parseStatusRange(entry) === undefined) {
      const path = Array.isArray(params.expectStatus) ? `expectStatus[${i}]` : 'expectStatus';
      issues.push({ path, message: `expected a status (200), a class ('2xx') or a range ('200-204'), got ${JSON.stringify(entry)}` });
    }
  });
  for (const key of ['interval', 'requestTimeout'] as const) {
    const value = params[key];
    if (typeof value === 'string' && parseDuration(value) === undefined) {
      issues.push({ path: key, message: `expected a duration such as '10s' or '1m30s', got ${JSON.stringify(value)}` });
    }
  }
  if (params.interval !== undefined && toMs(params.interval, 1) <= 0) {
    issues.push({ path: 'interval', message: 'must be greater than zero' });
  }
  const expressions: [string, unknown][] = [['until', params.until], ['progress', params.progress]];
  if (params.outputs && typeof params.outputs === 'object') {
    for (const [name, source] of Object.entries(params.outputs)) expressions.push([`outputs.${name}`, source]);
  }
  for (const [path, source] of expressions) {
    if (typeof source !== 'string') continue;
    const problem = checkCel(source, RESPONSE_VARS);
    if (problem) issues.push({ path, message: `invalid CEL expression: ${problem}` });
  }
  return issues;
}

function stringifyValues(record: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((record ?? {}) as Record<string, unknown>)) out[k] = String(v);
  return out;
}

/** Fills every default: GET, 2xx, 10s interval, 30s per request, client id `cloud-services`. */
export function normalizeHttpParams(params: Record<string, unknown>): HttpParams {
  const oauth2 = params.oauth2 as Partial<OAuth2Params> | undefined;
  return {
    method: (params.method as HttpMethod | undefined) ?? 'GET',
    url: String(params.url),
    headers: stringifyValues(params.headers),
    query: stringifyValues(params.query),
    json: params.json,
    form: params.form === undefined ? undefined : stringifyValues(params.form),
    bearer: params.bearer as string | undefined,
    oauth2: oauth2 && {
      tokenUrl: String(oauth2.tokenUrl),
      clientId: oauth2.clientId ?? 'cloud-services',
      refreshToken: String(oauth2.refreshToken),
      ...(oauth2.scope !== undefined ? { scope: oauth2.scope } : {}),
    },
    expectStatus: listStatusEntries(params.expectStatus).map((e) => parseStatusRange(e)!),
    outputs: { ...((params.outputs ?? {}) as Record<string, string>) },
    until: params.until as string | undefined,
    progress: params.progress as string | undefined,
    intervalMs: toMs(params.interval, 10_000),
    requestTimeoutMs: toMs(params.requestTimeout, 30_000),
  };
}
