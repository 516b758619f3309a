// Turns API server answers (metav1.Status) and network failures into StepErrors with retryability as data.

import { CancelledError, StepError, classifyError } from '../errors.js';

/** What the API said, kept on `StepError.details` so callers can branch on it without parsing messages. */
export interface KubeErrorDetails {
  /** HTTP status code (0 for network errors). */
  code: number;
  /** metav1.Status reason, e.g. `Conflict`, `NotFound`, `Invalid`, `Expired`. */
  reason: string;
  /** The object or collection the request named, e.g. `certificatesigningrequests csr-x`. */
  target: string;
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { retryAfterSeconds?: number };
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  409: 'Conflict', 410: 'Gone', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests',
  500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

function parseStatus(body: string): StatusBody | undefined {
  try {
    const parsed = JSON.parse(body) as StatusBody;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Retry-After in ms: the header (seconds or HTTP date) wins over Status.details.retryAfterSeconds. */
export function parseRetryAfter(header: string | undefined, status?: StatusBody, now = Date.now()): number | undefined {
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const fromBody = status?.details?.retryAfterSeconds;
  return typeof fromBody === 'number' ? fromBody * 1000 : undefined;
}

/** A non-2xx answer as a StepError: 5xx/429/409 transient, other 4xx permanent; the message names the target. */
export function toApiError(
  verb: string,
  target: string,
  response: { status: number; headers: Record<string, string>; body: string },
): StepError {
  const status = parseStatus(response.body);
  const code = response.status;
  const reason = status?.reason || REASON_BY_CODE[code] || `HTTP ${code}`;
  const text = status?.message || response.body.slice(0, 300) || reason;
  // AlreadyExists shares 409 with Conflict but a retry cannot cure it.
  const conflict = code === 409 && reason !== 'AlreadyExists';
  const errorClass = code === 429 || conflict || code >= 500 ? 'transient' : 'permanent';
  const details: KubeErrorDetails = { code, reason, target };
  return new StepError(`${verb} ${target}: ${reason} (${code}): ${text}`, {
    errorClass,
    retryAfterMs: errorClass === 'transient' ? parseRetryAfter(response.headers['retry-after'], status) : undefined,
    details,
  });
}

/** A failure before any answer (reset, refused, TLS): transient unless it is our own cancellation. */
export function toNetworkError(verb: string, target: string, error: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new CancelledError(String(signal.reason));
  if (error instanceof StepError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const cls = classifyError(error);
  const details: KubeErrorDetails = { code: 0, reason: 'NetworkError', target };
  // TLS and DNS-config problems stay permanent; dropped/refused connections are worth a retry.
  return new StepError(`${verb} ${target}: ${message}`, {
    errorClass: cls === 'permanent' && isResetLike(message) ? 'transient' : cls,
    cause: error,
    details,
  });
}

function isResetLike(message: string): boolean {
  return /socket hang up|ECONNRESET|premature close|ECONNREFUSED|other side closed|EPIPE/i.test(message);
}

function detailsOf(error: unknown): KubeErrorDetails | undefined {
  if (!(error instanceof StepError)) return undefined;
  const d = error.details as Partial<KubeErrorDetails> | undefined;
  return d && typeof d.code === 'number' && typeof d.reason === 'string' ? (d as KubeErrorDetails) : undefined;
}

/** HTTP status of a Kubernetes API error (0 for network errors, undefined for anything else). */
export function statusCodeOf(error: unknown): number | undefined {
  return detailsOf(error)?.code;
}

export function isConflict(error: unknown): boolean {
  return statusCodeOf(error) === 409 && detailsOf(error)?.reason !== 'AlreadyExists';
}

export function isAlreadyExists(error: unknown): boolean {
  return detailsOf(error)?.reason === 'AlreadyExists';
}

export function isNotFound(error: unknown): boolean {
  return statusCodeOf(error) === 404;
}

/** 410 Gone / reason Expired: a watch or continue token that is too old; the caller must relist. */
export function isGone(error: unknown): boolean {
  const d = detailsOf(error);
  return d?.code === 410 || d?.reason === 'Expired' || d?.reason === 'Gone';
}
