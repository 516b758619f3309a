// Decides what an unexpected HTTP status means: 5xx/429 transient (with Retry-After), other statuses permanent.

import { STATUS_CODES } from 'node:http';
import { StepError } from '../../errors.js';
import type { HttpResponse } from './request.js';
import type { SecretMask } from './redact.js';
import { describeStatusRanges, matchesStatus, type StatusRange } from './status.js';

const BODY_EXCERPT = 300;

/** Retry-After as delay-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** True for statuses worth retrying: 429, 408 and every 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/** A short, redacted excerpt of the body for error messages (JSON `message`/`reason` first when present). */
function excerptBody(response: HttpResponse, mask: SecretMask): string {
  const json = response.json as Record<string, unknown> | null;
  const fromJson = json && typeof json === 'object' ? (json.message ?? json.reason ?? json.error_description ?? json.error) : undefined;
  const text = typeof fromJson === 'string' ? fromJson : response.text;
  const oneLine = mask.redact(text).replace(/\s+/g, ' ').trim();
  return oneLine.length > BODY_EXCERPT ? `${oneLine.slice(0, BODY_EXCERPT)}…` : oneLine;
}

/** Throws a classified StepError when the status is not one of `expect`. */
export function assertExpectedStatus(response: HttpResponse, expect: readonly StatusRange[], label: string, mask: SecretMask): void {
  if (matchesStatus(response.status, expect)) return;
  const reason = STATUS_CODES[response.status] ?? 'Unknown';
  const body = excerptBody(response, mask);
  const message = `${label} → ${response.status} ${reason} (expected ${describeStatusRanges(expect)})${body ? `: ${body}` : ''}`;
  const transient = isTransientStatus(response.status);
  throw new StepError(message, {
    errorClass: transient ? 'transient' : 'permanent',
    retryAfterMs: transient ? parseRetryAfter(response.headers['retry-after']) : undefined,
    details: { status: response.status },
  });
}
