// `pause`: a manual gate. The engine asks the operator (or takes --approve); a gate with a policy (approvals,
// approvers, timeout) also takes answers from `opsbook approve|reject`. The journal records who approved and when.

import { StepError } from '../../errors.js';
import { DURATION_PATTERN, formatDurationExact, parseDuration } from '../../time/duration.js';
import { directNetwork } from '../../net/index.js';
import { WAITING_PREFIX } from '../gate-table.js';
import { exchange } from '../http/transport.js';
import type { ParamsInput } from '../params-type.js';
import type { GatePolicy, JsonSchema, StepType } from '../types.js';

const names = { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true } as const;

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'pause',
  description:
    'Waits for an operator to approve: a yes/no prompt on a terminal; without one it fails at once unless the run ' +
    'was started with --approve <step-id>, or the gate has a policy (approvals, approvers or timeout): then it waits for ' +
    '`opsbook approve|reject RUN_ID STEP_ID`, given by a Kubernetes identity (cluster store) or a local user. ' +
    'The step timeout applies. The journal records who approved and when.',
  type: 'object',
  additionalProperties: false,
  required: ['message'],
  properties: {
    message: { type: 'string', minLength: 1, description: 'What the operator should check before saying yes.' },
    approvals: { type: 'integer', minimum: 1, maximum: 10, description: 'Distinct approvers (usernames) needed; the same identity twice counts once. Default 1.' },
    approvers: {
      type: 'object',
      additionalProperties: false,
      description: 'Who may answer: these users or members of these groups (as the API server reports them). Default: anyone RBAC lets create the answer.',
      properties: { users: { ...names, description: 'Usernames.' }, groups: { ...names, description: 'Group names.' } },
    },
    timeout: {
      type: 'string',
      pattern: DURATION_PATTERN,
      description: 'How long to wait for answers before taking onTimeout, e.g. `30m` (within the step timeout).',
    },
    onTimeout: { enum: ['reject', 'approve'], description: 'What the gate does when timeout passes without a verdict. Default reject.' },
    notify: {
      type: 'string',
      pattern: '^https?://',
      description:
        'Webhook URL POSTed a JSON body {runId, stepId, message, since} when the gate starts waiting (through the run\'s network ' +
        'policy: a rehearsal reaches only the loopback). A failure is logged, never fatal.',
    },
  },
} as const satisfies JsonSchema;

export interface PauseParams {
  message: string;
  /** Present when the step sets approvals, approvers, timeout or notify: answers from `opsbook approve|reject` count. */
  gate?: GatePolicy;
  notify?: string;
}

/** How long a webhook may take before the gate stops waiting for it (the gate itself goes on waiting). */
const NOTIFY_TIMEOUT_MS = 10_000;

export const pauseStep: StepType<PauseParams, { approvedBy: string; approvedAt: string }, ParamsInput<typeof schema>> = {
  type: 'pause',
  description: 'Manual gate: wait for an operator to approve (or --approve STEP_ID, or opsbook approve)',
  schema,
  outputs: {
    approvedBy: { type: 'string', description: 'Who approved: OS user, Kubernetes user(s) (opsbook approve), or "--approve flag".' },
    approvedAt: { type: 'string', description: 'When it was approved (ISO-8601, run clock).' },
  },
  mutating: false,
  normalize(params) {
    const policy =
      params.approvals !== undefined || params.approvers !== undefined || params.timeout !== undefined || params.onTimeout !== undefined || params.notify !== undefined;
    if (!policy) return { message: params.message };
    const gate: GatePolicy = {
      approvals: params.approvals ?? 1,
      approvers: { users: [...(params.approvers?.users ?? [])], groups: [...(params.approvers?.groups ?? [])] },
      onTimeout: params.onTimeout ?? 'reject',
      ...(params.timeout !== undefined ? { timeoutMs: parseDuration(params.timeout)! } : {}),
    };
    return { message: params.message, gate, ...(params.notify !== undefined ? { notify: params.notify } : {}) };
  },
  async run(params, ctx) {
    // A gate with a policy says it waits itself (the engine, once it knows which answers came before it).
    if (!params.gate) ctx.progress(`${WAITING_PREFIX}${params.message}`);
    const notifyUrl = params.notify;
    const answer = await ctx.confirm(params.message, params.gate, notifyUrl ? () => notify(notifyUrl, params.message, ctx) : undefined);
    if (answer.comment) ctx.log(`${answer.approved ? 'approved' : 'rejected'} by ${answer.by}: ${answer.comment}`);
    if (!answer.approved) {
      throw new StepError(`not approved (answered no by ${answer.by}${answer.comment ? `: ${answer.comment}` : ''})`, { errorClass: 'permanent' });
    }
    return { approvedBy: answer.by, approvedAt: new Date(ctx.clock.now()).toISOString() };
  },
  async plan(params) {
    const gate = params.gate;
    const policy = gate
      ? ` (${gate.approvals} approver${gate.approvals > 1 ? 's' : ''}${gate.timeoutMs !== undefined ? `, ${gate.onTimeout} after ${formatDurationExact(gate.timeoutMs)}` : ''})`
      : '';
    return { summary: `would ask for approval: ${params.message}${policy}` };
  },
};

/** POSTs the waiting gate to a webhook; any failure (refused host, error status, timeout) is a log line, never fatal. */
async function notify(url: string, message: string, ctx: Parameters<typeof pauseStep.run>[1]): Promise<void> {
  const body = JSON.stringify({ runId: ctx.runId, stepId: ctx.stepId, message: ctx.redact(message), since: new Date(ctx.clock.now()).toISOString() });
  // The URL may carry a token: only its origin is ever shown.
  const shown = (() => {
    try {
      return new URL(url).origin;
    } catch {
      return 'the notify URL';
    }
  })();
  try {
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(NOTIFY_TIMEOUT_MS)]);
    const res = await exchange(ctx.network ?? directNetwork, { method: 'POST', url, headers: { 'content-type': 'application/json' }, body, signal });
    if (res.status < 200 || res.status > 299) ctx.log(`notify ${shown}: answered HTTP ${res.status}; the gate waits anyway`, 'stderr');
    else ctx.log(`notified ${shown}`);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    ctx.log(`notify ${shown} failed: ${ctx.redact((error as Error).message)}; the gate waits anyway`, 'stderr');
  }
}
