// The runbook format as JSON Schema 2020-12: the source of truth, published to schemas/runbook.schema.json.
// `x-expected` (a noun phrase) is our annotation for human error messages; editors ignore it.

import { DURATION_PATTERN } from '../time/duration.js';

export const RUNBOOK_SCHEMA_ID = 'https://opsbook.dev/schemas/runbook.schema.json';

const TEMPLATE_PATTERN = '^\\$\\{\\{[\\s\\S]*\\}\\}$';
const DURATION_EXPECTED = 'a duration like 90s or 1h30m';

const duration = { type: 'string', pattern: DURATION_PATTERN, 'x-expected': DURATION_EXPECTED };
const stepId = { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$', maxLength: 63, 'x-expected': 'a step id of lowercase letters, digits and -' };

const retry = {
  type: 'object',
  additionalProperties: false,
  description: 'Retry policy: attempts include the first one.',
  properties: {
    attempts: { type: 'integer', minimum: 1, description: 'Total attempts including the first (1 = no retry).' },
    backoff: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initial: { ...duration, description: 'Delay before the second attempt.' },
        factor: { type: 'number', minimum: 1, description: 'Multiplier applied to the delay after each attempt.' },
        max: { ...duration, description: 'Upper bound of a single delay.' },
        jitter: { type: 'boolean', description: 'Randomise each delay (up to 100%) to spread retries.' },
      },
    },
    on: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['transient', 'timeout', 'any'] },
      description: 'Error classes that are retried.',
    },
    maxDuration: { ...duration, description: 'Bound on all attempts and backoffs of a step together.' },
  },
};

const input = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: {
      enum: ['string', 'number', 'integer', 'boolean', 'array', 'object', 'duration', 'secret'],
      description: 'How --set text is typed; secret values are redacted everywhere and never journaled.',
    },
    description: { type: 'string', description: 'Shown to whoever runs the runbook.' },
    enum: {
      type: 'array',
      minItems: 1,
      items: { type: ['string', 'number', 'integer', 'boolean'] },
      description: 'The only values allowed (for arrays: for each item).',
    },
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: {
        type: { enum: ['string', 'number', 'integer', 'boolean', 'array', 'object', 'duration'] },
        description: { type: 'string' },
      },
    },
    default: { description: 'Value used when none is given; must match the type.' },
    fromEnv: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
      'x-expected': 'an environment variable name',
      description: 'Read the value from this environment variable when not given with --set/--values.',
    },
    fromFile: { type: 'string', minLength: 1, description: 'Read the value from this file (trailing newline removed).' },
  },
};

const step = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  oneOf: [
    { required: ['uses'], not: { required: ['run'] } },
    { required: ['run'], not: { required: ['uses'] } },
  ],
  properties: {
    id: { ...stepId, description: 'Unique id, referenced by needs and by steps.<id> in expressions.' },
    name: { type: 'string', description: 'Display name (defaults to the id).' },
    uses: { type: 'string', minLength: 1, description: 'A built-in step type (see `opsbook steps`).' },
    run: { type: 'string', description: 'A bash script; pass values through env:, never ${{ }}.' },
    with: { type: 'object', description: "Parameters, checked against the step type's schema." },
    env: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-expected': 'an environment variable name' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    workingDirectory: { type: 'string', minLength: 1 },
    needs: {
      type: ['array', 'string'],
      items: stepId,
      uniqueItems: true,
      description: 'Steps that must finish first.',
    },
    when: { type: ['string', 'boolean'], description: 'CEL condition; false skips the step.' },
    always: { type: 'boolean', description: 'Run even when an earlier step failed.' },
    continueOnError: { type: 'boolean', description: 'Record a failure and let dependents run.' },
    timeout: { ...duration, description: 'Per attempt.' },
    retry,
  },
};

/** JSON Schema (2020-12) of a runbook file. */
export const runbookSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: RUNBOOK_SCHEMA_ID,
  title: 'opsbook runbook',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'opsbook.dev/v1' },
    kind: { const: 'Runbook' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: {
          type: 'string',
          maxLength: 63,
          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
          'x-expected': 'a DNS-1123 label (lowercase letters, digits and -, at most 63)',
        },
        description: { type: 'string' },
      },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['steps'],
      properties: {
        inputs: {
          type: 'object',
          description: 'Values given at run time (--set name=value, --values FILE, fromEnv, fromFile, default); read as inputs.<name>.',
          propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-expected': 'an input name (letters, digits, _)' },
          additionalProperties: input,
        },
        deadline: {
          type: 'string',
          pattern: `(?:${DURATION_PATTERN})|(?:${TEMPLATE_PATTERN})`,
          'x-expected': `${DURATION_EXPECTED}, or a \${{ }} expression`,
          description: 'Limit for the whole run.',
        },
        concurrency: { type: 'integer', minimum: 1, default: 4, description: 'Steps running at once.' },
        defaults: {
          type: 'object',
          additionalProperties: false,
          description: 'Inherited by every step unless it overrides (retry fields one by one).',
          properties: { timeout: { ...duration, description: 'Per attempt (default: 10m).' }, retry },
        },
        lock: {
          type: 'object',
          additionalProperties: false,
          description: 'Hold a cluster Lease while the run lasts.',
          properties: {
            name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253, 'x-expected': 'a Lease name', description: 'Lease name (default: metadata.name).' },
            namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63, 'x-expected': 'a namespace name', description: 'Lease namespace (default: kube-system).' },
            ttl: { ...duration, description: 'How long the Lease lasts without renewal (default: 60s).' },
          },
        },
        steps: { type: 'array', items: step, description: 'The steps, run as a DAG along needs.' },
      },
    },
  },
} as const;

/** The runbook JSON Schema object (for `opsbook schema` and editors). */
export function getRunbookSchema(): Record<string, unknown> {
  return structuredClone(runbookSchema) as unknown as Record<string, unknown>;
}
