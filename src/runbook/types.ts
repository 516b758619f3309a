// The normalised runbook: what validation + normalizeRunbook() hand to the engine. Every default is filled.

export type InputType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'duration' | 'secret';

export interface InputSpec {
  name: string;
  type: InputType;
  description?: string;
  /** JSON-Schema-ish item type for arrays (as written in the runbook). */
  items?: Record<string, unknown>;
  default?: unknown;
  /** Allowed values (for arrays: for each item). */
  enum?: unknown[];
  /** true when there is no default and no fromEnv/fromFile source. */
  required: boolean;
  /** Secret sources: an environment variable or a file path. */
  fromEnv?: string;
  fromFile?: string;
  /** Where the input is declared, for diagnostics about missing or mistyped values. */
  position?: SourcePosition;
}

export type RetryOn = 'transient' | 'timeout' | 'any';

export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  jitter: boolean;
}

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  backoff: BackoffPolicy;
  on: RetryOn[];
  /** Bound on all attempts and backoffs of a step together; undefined = unbounded. */
  maxDurationMs?: number;
}

/** Where a node sits in the YAML source, for diagnostics at run time. */
export interface SourcePosition {
  line: number;
  col: number;
}

export interface StepSpec {
  id: string;
  /** Display name (defaults to the id). */
  name: string;
  /** Position in spec.steps. */
  index: number;
  /** Built-in step type; `run:` steps are normalised to `shell`. */
  type: string;
  /** Parameters as written: may still hold `${{ }}` templates, resolved by the engine before the step runs. */
  with: Record<string, unknown>;
  /** Environment for process steps; values may hold templates. */
  env: Record<string, unknown>;
  needs: string[];
  /** Bare CEL source; undefined = always true. */
  when?: string;
  always: boolean;
  continueOnError: boolean;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  retry: RetryPolicy;
  position: SourcePosition;
}

export interface LockSpec {
  name: string;
  namespace: string;
  ttlMs: number;
}

export interface Runbook {
  apiVersion: 'opsbook.dev/v1';
  kind: 'Runbook';
  metadata: { name: string; description?: string };
  inputs: Record<string, InputSpec>;
  /** A duration string or a `${{ }}` template, resolved at run start; undefined = no deadline. */
  deadline?: string;
  concurrency: number;
  steps: StepSpec[];
  lock?: LockSpec;
  /** Path the runbook was read from, as given. */
  file: string;
  /** sha256 (hex) of the normalised runbook, recorded in the journal to detect edits before resume. */
  sha256: string;
}
