// Checks and normalises the `http` step's parameters once, so run() never sees an unfilled default.

import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { ParamIssue } from '../types.js';
import { parseDuration } from '../../time/duration.js';
import { checkCel } from '../../expr/cel.js';
import type { httpSchema } from './schema.js';
import { listStatusEntries, parseStatusRange, type StatusRange } from './status.js';

type HttpSchemaParams = ParamsFilled<typeof httpSchema>;

/** What normalize receives: `with:` as the schema passed it, defaults not yet filled. */
export type HttpInput = ParamsInput<typeof httpSchema>;

export type HttpMethod = HttpSchemaParams['method'];

/** The refresh-token grant, `clientId` filled. */
export type OAuth2Params = NonNullable<HttpSchemaParams['oauth2']>;

/**
 * normalize turns the header, query and form values into strings, `expectStatus` into ranges and the durations into ms,
 * and fills `outputs` (output name → CEL source over `response`).
 */
export type HttpParams = Omit<HttpSchemaParams, 'headers' | 'query' | 'form' | 'expectStatus' | 'outputs' | 'interval' | 'requestTimeout'> & {
  headers: Record<string, string>;
  query: Record<string, string>;
  form?: Record<string, string>;
  expectStatus: StatusRange[];
  outputs: Record<string, string>;
  intervalMs: number;
  requestTimeoutMs: number;
};

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

function stringifyValues(record: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) out[k] = String(v);
  return out;
}

/** Fills every default: GET, 2xx, 10s interval, 30s per request, client id `cloud-services`. */
export function normalizeHttpParams(params: HttpInput): HttpParams {
  const { oauth2 } = params;
  return {
    method: params.method ?? 'GET',
    url: params.url,
    headers: stringifyValues(params.headers),
    query: stringifyValues(params.query),
    json: params.json,
    form: params.form === undefined ? undefined : stringifyValues(params.form),
    bearer: params.bearer,
    oauth2: oauth2 && {
      tokenUrl: oauth2.tokenUrl,
      clientId: oauth2.clientId ?? 'cloud-services',
      refreshToken: oauth2.refreshToken,
      ...(oauth2.scope !== undefined ? { scope: oauth2.scope } : {}),
    },
    expectStatus: listStatusEntries(params.expectStatus).map((e) => parseStatusRange(e)!),
    outputs: { ...params.outputs },
    until: params.until,
    progress: params.progress,
    intervalMs: toMs(params.interval, 10_000),
    requestTimeoutMs: toMs(params.requestTimeout, 30_000),
  };
}
