// Parameters and outputs the two approve steps share (on top of the selector): deny, supersede, concurrency.

import type { ParamsInput } from '../params-type.js';
import type { JsonSchema, OutputSpec } from '../types.js';
import type { ApproveParams } from './decide.js';
import { normalizeSelectorParams, selectorProperties } from './params.js';

export const approveProperties = {
  ...selectorProperties,
  deny: {
    description:
      'Deny refused CSRs with the reason (default: leave them pending; another approver may own them). A refusal that may still resolve (the Node has not registered yet) is never denied.',
    type: 'boolean',
    default: false,
  },
  supersede: {
    description: 'approve: approve every valid duplicate of a node; deny: approve the newest and deny older duplicates.',
    enum: ['approve', 'deny'],
    default: 'approve',
  },
  concurrency: { description: 'Approvals in flight at once.', type: 'integer', minimum: 1, maximum: 256, default: 16 },
} as const satisfies Record<string, JsonSchema>;

/** The schema of an approve step without its own parameters (approve-server-csrs's, without `$schema` and `title`). */
export interface ApproveSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: typeof approveProperties;
}

/** What normalizeApproveParams receives: the shared approve part of `with:` as the schema passed it. */
export type ApproveInput = ParamsInput<ApproveSchema>;

export function normalizeApproveParams(params: ApproveInput): ApproveParams {
  return {
    ...normalizeSelectorParams(params),
    deny: params.deny ?? false,
    supersede: params.supersede ?? 'approve',
    concurrency: params.concurrency ?? 16,
  };
}

export function approveOutputs(label: string): Record<string, OutputSpec> {
  return {
    approved: { type: 'string[]', description: `${label} CSRs this step approved in this run` },
    nodes: { type: 'object', description: `node → its approved ${label} CSRs (whoever approved them)` },
    refused: { type: 'object[]', description: 'refused CSRs: {csr, node, requestor, check, reason, denied}' },
    denied: { type: 'string[]', description: 'CSRs this step denied (deny: true or superseded)' },
    superseded: { type: 'string[]', description: 'older duplicates denied because a newer CSR was approved' },
  };
}
