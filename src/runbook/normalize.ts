// One pass after validation: fill every default so the engine never checks for undefined again.

import { createHash } from 'node:crypto';
import type { InputSpec, InputType, LockSpec, RetryOn, RetryPolicy, Runbook, StepSpec } from './types.js';
import { parseDuration } from '../time/duration.js';
import { buildStepParams } from './step-params.js';
import { canonicalJson } from '../schema/index.js';

export { canonicalJson } from '../schema/index.js';
import type { Locate } from '../yaml/index.js';

/** Defaults the runbook format promises (documented in the schema and README). */
export const RUNBOOK_DEFAULTS = {
  concurrency: 4,
  timeout: '10m',
  retry: { attempts: 1, backoff: { initial: '1s', factor: 2, max: '30s', jitter: true }, on: ['transient'] as RetryOn[] },
  lock: { namespace: 'kube-system', ttl: '60s' },
} as const;

// The schema has already validated the shape; `any` keeps the one normalisation pass free of casts at every field.
type Raw = Record<string, any>;

/** Builds the engine's Runbook from a document that passed validation. */
export function normalizeRunbook(doc: Raw, file: string, locate: Locate): Runbook {
  const spec: Raw = doc.spec ?? {};
  const defaults: Raw = spec.defaults ?? {};
  const inputs: Record<string, InputSpec> = {};
  for (const [name, raw] of Object.entries<Raw>(spec.inputs ?? {})) inputs[name] = normalizeInput(name, raw, locate);
  const defaultTimeout = durationMs(defaults.timeout ?? RUNBOOK_DEFAULTS.timeout);
  const defaultRetry: Raw | undefined = defaults.retry;
  const steps = (spec.steps as Raw[]).map((raw, index): StepSpec => {
    const step: StepSpec = {
      id: raw.id,
      name: raw.name ?? raw.id,
      index,
      type: typeof raw.run === 'string' ? 'shell' : raw.uses,
      with: buildStepParams(raw),
      env: { ...(raw.env ?? {}) },
      needs: typeof raw.needs === 'string' ? [raw.needs] : [...(raw.needs ?? [])],
      always: raw.always ?? false,
      continueOnError: raw.continueOnError ?? false,
      timeoutMs: raw.timeout !== undefined ? durationMs(raw.timeout) : defaultTimeout,
      retry: mergeRetry(defaultRetry, raw.retry),
      position: locate(['spec', 'steps', index]),
    };
    if (typeof raw.when === 'string') step.when = raw.when;
    else if (raw.when === false) step.when = 'false';
    return step;
  });
  const runbook: Runbook = {
    apiVersion: 'opsbook.dev/v1',
    kind: 'Runbook',
    metadata: { name: doc.metadata.name, ...(doc.metadata.description !== undefined ? { description: doc.metadata.description } : {}) },
    inputs,
    concurrency: spec.concurrency ?? RUNBOOK_DEFAULTS.concurrency,
    steps,
    file,
    sha256: '',
  };
  if (spec.deadline !== undefined) runbook.deadline = spec.deadline;
  if (spec.lock !== undefined) runbook.lock = normalizeLock(spec.lock, doc.metadata.name);
  runbook.sha256 = hashRunbook(runbook);
  return runbook;
}

function normalizeInput(name: string, raw: Raw, locate: Locate): InputSpec {
  const input: InputSpec = {
    name,
    type: raw.type as InputType,
    required: !('default' in raw) && raw.fromEnv === undefined && raw.fromFile === undefined,
    position: locate(['spec', 'inputs', name], 'key'),
  };
  if (raw.description !== undefined) input.description = raw.description;
  if (raw.items !== undefined) input.items = raw.items;
  if (raw.enum !== undefined) input.enum = raw.enum;
  if ('default' in raw) input.default = raw.default;
  if (raw.fromEnv !== undefined) input.fromEnv = raw.fromEnv;
  if (raw.fromFile !== undefined) input.fromFile = raw.fromFile;
  return input;
}

// Step retry fields override the defaults' fields one by one (backoff too), then built-in defaults fill the rest.
function mergeRetry(defaultsRaw: Raw | undefined, stepRaw: Raw | undefined): RetryPolicy {
  const d = RUNBOOK_DEFAULTS.retry;
  const raw: Raw = { ...defaultsRaw, ...stepRaw, backoff: { ...defaultsRaw?.backoff, ...stepRaw?.backoff } };
  const initialMs = durationMs(raw.backoff.initial ?? d.backoff.initial);
  const policy: RetryPolicy = {
    attempts: raw.attempts ?? d.attempts,
    backoff: {
      initialMs,
      factor: raw.backoff.factor ?? d.backoff.factor,
      // a defaulted max never sits below the initial delay
      maxMs: raw.backoff.max !== undefined ? durationMs(raw.backoff.max) : Math.max(durationMs(d.backoff.max), initialMs),
      jitter: raw.backoff.jitter ?? d.backoff.jitter,
    },
    on: [...(raw.on ?? d.on)],
  };
  if (raw.maxDuration !== undefined) policy.maxDurationMs = durationMs(raw.maxDuration);
  return policy;
}

function normalizeLock(raw: Raw, runbookName: string): LockSpec {
  return {
    name: raw.name ?? runbookName,
    namespace: raw.namespace ?? RUNBOOK_DEFAULTS.lock.namespace,
    ttlMs: durationMs(raw.ttl ?? RUNBOOK_DEFAULTS.lock.ttl),
  };
}

function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`not a duration: ${text}`); // unreachable after validation
  return ms;
}

/** sha256 of the runbook's meaning: canonical JSON without the path and source positions (comments don't count). */
export function hashRunbook(runbook: Runbook): string {
  const { file: _file, sha256: _sha, ...rest } = runbook;
  const content = {
    ...rest,
    inputs: Object.fromEntries(Object.entries(rest.inputs).map(([k, { position: _p, ...input }]) => [k, input])),
    steps: rest.steps.map(({ position: _p, ...step }) => step),
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
