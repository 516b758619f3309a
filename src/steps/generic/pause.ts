// `pause`: a manual gate. The engine asks the operator (or takes --approve) and journals who approved and when.

import { StepError } from '../../errors.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepType } from '../types.js';

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'pause',
  description:
    'Waits for an operator to approve: a yes/no prompt on a terminal; without one it fails at once unless the run ' +
    'was started with --approve <step-id>. The step timeout applies. The journal records who approved and when.',
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: { message: { type: 'string', minLength: 1, description: 'What the operator should check before saying yes.' } },
} as const satisfies JsonSchema;

export type PauseParams = ParamsFilled<typeof schema>;

export const pauseStep: StepType<PauseParams, { approvedBy: string; approvedAt: string }, ParamsInput<typeof schema>> = {
  type: 'pause',
  description: 'Manual gate: wait for an operator to approve (or --approve STEP_ID)',
  schema,
  outputs: {
    approvedBy: { type: 'string', description: 'OS user who approved, or "--approve flag".' },
    approvedAt: { type: 'string', description: 'When it was approved (ISO-8601, run clock).' },
  },
  mutating: false,
  async run(params, ctx) {
    ctx.progress(`waiting for approval: ${params.message}`);
    const answer = await ctx.confirm(params.message);
    if (!answer.approved) throw new StepError(`not approved (answered no by ${answer.by})`, { errorClass: 'permanent' });
    return { approvedBy: answer.by, approvedAt: new Date(ctx.clock.now()).toISOString() };
  },
  async plan(params) {
    return { summary: `would ask for approval: ${params.message}` };
  },
};
