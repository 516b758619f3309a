// The `http` step: one request, or a poll until a CEL condition over the response holds.

import { StepError } from '../../errors.js';
import { evaluateCel } from '../../expr/cel.js';
import { formatDurationHuman } from '../../time/duration.js';
import type { PlanPreview, StepContext, StepType } from '../types.js';
import { assertExpectedStatus } from './outcome.js';
import { checkHttpParams, normalizeHttpParams, type HttpInput, type HttpParams } from './params.js';
import { createSecretMask, type SecretMask } from './redact.js';
import { buildUrl, encodeBody, sendRequest, splitCredentials, type HttpResponse } from './request.js';
import { httpSchema } from './schema.js';
import { createTokenSource, type TokenSource } from './oauth.js';

const RESERVED_OUTPUTS = new Set(['status', 'polls']);

interface Exchange {
  label: string;
  mask: SecretMask;
  send(): Promise<HttpResponse>;
}

/** Prepares the request once; `send` authenticates (renewing an OAuth2 token on 401 once) and checks the status. */
function prepareExchange(p: HttpParams, ctx: StepContext): Exchange {
  const mask = createSecretMask((t) => ctx.redact(t), [p.bearer, p.oauth2?.refreshToken]);
  const tokens: TokenSource | undefined = p.oauth2 && createTokenSource(p.oauth2, ctx.clock, mask, p.requestTimeoutMs, ctx.network);
  const { url, basic } = splitCredentials(buildUrl(p.url, p.query));
  mask.add(basic);
  const label = `${p.method} ${mask.redact(url)}`;
  const { body, contentType } = encodeBody(p.json, p.form);
  const headers = { ...(contentType ? { 'content-type': contentType } : {}), ...p.headers };
  const once = async (forceToken: boolean) => {
    const token = tokens ? await tokens.token(ctx.signal, forceToken) : p.bearer;
    const authorization = token ? `Bearer ${token}` : basic ? `Basic ${basic}` : undefined;
    return sendRequest({ method: p.method, url, headers, body, authorization, timeoutMs: p.requestTimeoutMs, signal: ctx.signal }, mask, ctx.network);
  };
  return {
    label,
    mask,
    async send() {
      let response = await once(false);
      if (response.status === 401 && tokens) response = await once(true);
      assertExpectedStatus(response, p.expectStatus, label, mask);
      return response;
    },
  };
}

/** Evaluates each `outputs` expression over the response; a failing one is a permanent error naming it. */
function computeOutputs(p: HttpParams, response: HttpResponse, polls: number, mask: SecretMask): Record<string, unknown> {
  const outputs: Record<string, unknown> = { status: response.status, polls };
  for (const [name, source] of Object.entries(p.outputs)) {
    try {
      outputs[name] = evaluateCel(source, { response });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new StepError(`outputs.${name}: ${mask.redact(why)} (in \`${source}\`)`, { errorClass: 'permanent', cause: error });
    }
  }
  return mask.redactValue(outputs);
}

/** `until` over the response: true, false, or the evaluation error text (counted as "not yet"). */
function evaluateUntil(source: string, response: HttpResponse): true | string {
  try {
    const value = evaluateCel(source, { response });
    if (value === true) return true;
    return value === false ? 'condition not met yet' : `condition gave ${JSON.stringify(value)}, not a boolean`;
  } catch (error) {
    return `condition not evaluable yet: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function describeProgress(p: HttpParams, response: HttpResponse, fallback: string): string {
  if (!p.progress) return `${response.status}; ${fallback}`;
  try {
    const value = evaluateCel(p.progress, { response });
    return typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    return `${response.status}; ${fallback}`;
  }
}

/** Polls until `until` holds; transient failures are shown and polling goes on until the deadline. */
async function poll(p: HttpParams, ctx: StepContext, exchange: Exchange): Promise<Record<string, unknown>> {
  const started = ctx.clock.now();
  let last = 'no response yet';
  for (let polls = 1; ; polls++) {
    let delay = p.intervalMs;
    try {
      const response = await exchange.send();
      const verdict = evaluateUntil(p.until!, response);
      if (verdict === true) {
        ctx.log(`${exchange.label} → ${response.status}; condition met after ${polls} poll(s)`);
        return computeOutputs(p, response, polls, exchange.mask);
      }
      last = describeProgress(p, response, verdict);
    } catch (error) {
      if (!(error instanceof StepError) || error.errorClass !== 'transient') throw error;
      last = error.message;
      delay = Math.max(delay, error.retryAfterMs ?? 0);
    }
    ctx.progress(exchange.mask.redact(`poll ${polls}: ${last}`));
    if (ctx.clock.now() + delay >= ctx.deadline) {
      throw new StepError(
        exchange.mask.redact(
          `${exchange.label}: \`${p.until}\` did not hold within ${formatDurationHuman(ctx.clock.now() - started)} (${polls} polls; last: ${last})`,
        ),
        { errorClass: 'timeout', details: { polls, last: exchange.mask.redact(last) } },
      );
    }
    await ctx.clock.sleep(delay, ctx.signal);
  }
}

export const httpStep: StepType<HttpParams, Record<string, unknown>, HttpInput> = {
  type: 'http',
  description: 'Call a REST API once or poll it until a CEL condition holds; outputs computed with CEL over the response',
  schema: httpSchema,
  outputs: {
    status: { type: 'integer', description: 'HTTP status of the final response' },
    polls: { type: 'integer', description: 'Requests made (1 without `until`)' },
    '*': { type: 'any', description: 'Each entry of `with.outputs`, evaluated over the final response' },
  },
  mutating: true,
  check(params) {
    const issues = checkHttpParams(params);
    for (const name of Object.keys((params.outputs ?? {}) as object)) {
      if (RESERVED_OUTPUTS.has(name)) issues.push({ path: `outputs.${name}`, message: `'${name}' is a built-in output; pick another name` });
    }
    return issues;
  },
  normalize: normalizeHttpParams,
  async run(p, ctx) {
    const exchange = prepareExchange(p, ctx);
    if (p.until) return poll(p, ctx, exchange);
    const response = await exchange.send();
    ctx.log(`${exchange.label} → ${response.status}`);
    return computeOutputs(p, response, 1, exchange.mask);
  },
  async plan(p, ctx): Promise<PlanPreview> {
    const mask = createSecretMask((t) => ctx.redact(t), [p.bearer, p.oauth2?.refreshToken]);
    const label = `${p.method} ${mask.redact(splitCredentials(buildUrl(p.url, p.query)).url)}`;
    const body = p.json !== undefined ? ' with a JSON body' : p.form !== undefined ? ' with a form body' : '';
    const lines = p.until ? [`repeated every ${formatDurationHuman(p.intervalMs)} until ${p.until}`] : [];
    if (p.oauth2) lines.push(`authenticated with a token from ${mask.redact(p.oauth2.tokenUrl)}`);
    return { summary: `would send ${label}${body} (nothing is sent during plan)`, lines };
  },
};
