// The small, flat set of errors opsbook raises. Retryability is data (`errorClass`), not a subclass.

/** How the engine treats a failed attempt: `transient` and `timeout` may be retried, `permanent` never. */
export type ErrorClass = 'transient' | 'timeout' | 'permanent';

/** One problem found in a runbook, pointing at the YAML that caused it. */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** Field path, e.g. `spec.steps[3].retry.backoff.max`. */
  path: string;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path}: ${d.message}`;
}

/** The runbook (or its inputs) is invalid: nothing ran. CLI exit code 2. */
export class RunbookError extends Error {
  override name = 'RunbookError';
  readonly diagnostics: Diagnostic[];
  constructor(message: string, diagnostics: Diagnostic[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.diagnostics = diagnostics;
  }
}

/** A step attempt failed; `errorClass` tells the engine whether a retry may help. */
export class StepError extends Error {
  override name = 'StepError';
  readonly errorClass: ErrorClass;
  /** Server-requested delay before the next attempt (e.g. HTTP Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  /** Structured data for outputs and the journal (e.g. a table of refused CSRs). */
  readonly details: unknown;
  constructor(
    message: string,
    options: { errorClass?: ErrorClass; cause?: unknown; retryAfterMs?: number; details?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.errorClass = options.errorClass ?? 'permanent';
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

/** Work stopped because the run was cancelled (Ctrl-C, deadline, or a sibling failure). */
export class CancelledError extends Error {
  override name = 'CancelledError';
  readonly reason: 'interrupted' | 'deadline' | 'aborted';
  constructor(message: string, reason: CancelledError['reason'] = 'aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** Bad command-line usage or configuration (CLI exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Normalise anything thrown into a StepError, guessing the class from well-known shapes. */
export function toStepError(error: unknown): StepError {
  if (error instanceof StepError) return error;
  if (error instanceof CancelledError) return new StepError(error.message, { errorClass: 'permanent', cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new StepError(message, { errorClass: classifyError(error), cause: error });
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH',
  'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNABORTED',
]);

/** Network errors, HTTP 5xx/429 and 409 conflicts are transient; everything else is permanent. */
export function classifyError(error: unknown): ErrorClass {
  if (error instanceof StepError) return error.errorClass;
  const e = error as { code?: unknown; status?: unknown; statusCode?: unknown; cause?: unknown } | undefined;
  if (e && typeof e === 'object') {
    const status = Number(e.status ?? e.statusCode);
    if (status === 429 || status === 409 || (status >= 500 && status < 600)) return 'transient';
    if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return 'transient';
    if (e.cause && e.cause !== error) return classifyError(e.cause);
  }
  return 'permanent';
}
