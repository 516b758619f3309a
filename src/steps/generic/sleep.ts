// `sleep`: waits a duration on the run's clock (scaled in rehearsals, virtual in tests); cancellable.

import { StepError } from '../../errors.js';
import { parseDuration, formatDurationExact, DURATION_PATTERN } from '../../time/duration.js';
import type { ParamsInput } from '../params-type.js';
import type { JsonSchema, StepType } from '../types.js';

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'sleep',
  description: 'Waits for a duration (cancellable; never past the step timeout or the run deadline).',
  type: 'object',
  additionalProperties: false,
  required: ['duration'],
  properties: {
    duration: {
      description: 'How long, e.g. `90s`, `1h30m`, `500ms`, or a number of milliseconds.',
      oneOf: [
        { type: 'string', pattern: DURATION_PATTERN },
        { type: 'number', minimum: 0 },
      ],
    },
  },
} as const satisfies JsonSchema;

/** `duration` (a string or ms) becomes `durationMs`. */
export type SleepParams = Omit<ParamsInput<typeof schema>, 'duration'> & { durationMs: number };

export const sleepStep: StepType<SleepParams, { sleptMs: number }, ParamsInput<typeof schema>> = {
  type: 'sleep',
  description: 'Wait for a duration (cancellable)',
  schema,
  outputs: { sleptMs: { type: 'integer', description: 'How long it waited, in ms.' } },
  mutating: false,
  normalize(params) {
    const duration = params.duration;
    return { durationMs: typeof duration === 'number' ? duration : parseDuration(duration)! };
  },
  async run(params, ctx) {
    const left = ctx.deadline - ctx.clock.now();
    if (params.durationMs > left) {
      // Waiting only to be cut off helps nobody: say so now.
      throw new StepError(
        `sleep ${formatDurationExact(params.durationMs)} would outlast the time left (${formatDurationExact(Math.max(0, left))} before the step timeout or run deadline)`,
        { errorClass: 'timeout' },
      );
    }
    // Zero is a no-op step: no timer (≥ 1 ms clamp, an extra event-loop turn), nothing to show.
    if (params.durationMs === 0) return { sleptMs: 0 };
    ctx.progress(`sleeping ${formatDurationExact(params.durationMs)}`);
    await ctx.clock.sleep(params.durationMs, ctx.signal);
    return { sleptMs: params.durationMs };
  },
  async plan(params) {
    return { summary: `would wait ${formatDurationExact(params.durationMs)}` };
  },
};
