// `fail`: ends the step with a message — an assertion, usually behind a `when`.

import { StepError } from '../../errors.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepType } from '../types.js';

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'fail',
  description: 'Fails the step with a message (never retried); put it behind a `when` to assert a condition.',
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { message: { type: 'string', minLength: 1, description: 'Why the run must stop.' } },
} as const satisfies JsonSchema;

export type FailParams = ParamsFilled<typeof schema>;

export const failStep: StepType<FailParams, Record<string, never>, ParamsInput<typeof schema>> = {
  type: 'fail',
  description: 'Fail with a message (an assertion, usually behind a when)',
  schema,
  outputs: {},
  mutating: false,
  async run(params) {
    throw new StepError(params.message, { errorClass: 'permanent' });
  },
  async plan(params) {
    return { summary: `would fail: ${params.message}` };
  },
};
