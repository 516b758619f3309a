// metav1.Status errors with the reasons and codes a real API server uses, so clients classify them correctly.

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Gone'
  | 'Expired'
  | 'TooManyRequests'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: Array<{ reason?: string; message: string; field?: string }>;
  retryAfterSeconds?: number;
}

/** An API error answered as a metav1.Status body with HTTP `code`. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  /** ListMeta.continue of the Status: an expired continue token's inconsistent continuation. */
  listContinue?: string;

  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: this.listContinue ? { continue: this.listContinue } : {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

interface Target {
  group: string;
  /** Plural resource name, as real servers put it in details.kind. */
  resource: string;
  name: string;
}

function qualified(t: Pick<Target, 'group' | 'resource'>): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

export function notFound(t: Target): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(t)} "${t.name}" not found`, { name: t.name, group: t.group, kind: t.resource });
}

export function alreadyExists(t: Target): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(t)} "${t.name}" already exists`, { name: t.name, group: t.group, kind: t.resource });
}

export function conflict(t: Target, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(t)} "${t.name}": ${why}`, { name: t.name, group: t.group, kind: t.resource });
}

export interface FieldCause {
  field: string;
  message: string;
  reason?: string;
}

/** 422 Invalid with one cause per bad field, messages shaped like the real server's ("Kind.group "name" is invalid: …"). */
export function invalid(kind: string, group: string, name: string, causes: FieldCause[]): ApiError {
  const list = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${summary}`, {
    ...(name ? { name } : {}),
    group,
    kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

export function forbidden(user: string, verb: string, t: { group: string; resource: string; name?: string; namespace?: string }, why = ''): ApiError {
  const what = t.name ? `${qualified(t)} "${t.name}"` : qualified(t);
  const scope = t.namespace ? ` in the namespace "${t.namespace}"` : ' at the cluster scope';
  const message = `${what} is forbidden: User "${user}" cannot ${verb} resource "${t.resource}" in API group "${t.group}"${scope}${why ? `: ${why}` : ''}`;
  return new ApiError(403, 'Forbidden', message, { name: t.name, group: t.group, kind: t.resource });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function tooManyRequests(retryAfterSeconds: number): ApiError {
  return new ApiError(429, 'TooManyRequests', 'the server has received too many requests and has asked us to try again later', { retryAfterSeconds });
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}
