// approve-client-csrs: approves kubelet client CSRs of inventory machines that pass every identity check.

import { claimedClientNode, evaluateClientCsr, DEFAULT_CLIENT_REQUESTORS, nodeNameOf, CLIENT_SIGNER, type CsrRecord, type RequestorRule } from '../../csr/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepType } from '../types.js';
import { planApprover, runApprover, type ApproveOutputs, type ApproverFactory, type World } from './approver.js';
import { approveOutputs, approveProperties, normalizeApproveParams } from './approve-params.js';
import { checkSelectorParams, durationSchema, toMs, type WithSelector } from './params.js';

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'approve-client-csrs',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...approveProperties,
    requestors: {
      description:
        'Who may request client certificates: usernames (a trailing * matches a prefix) or {user, group}. Default: the OpenShift node-bootstrapper service account and system:bootstrap:* tokens in group system:bootstrappers.',
      type: 'array',
      minItems: 1,
      items: {
        oneOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['user'],
            properties: { user: { type: 'string', minLength: 1 }, group: { type: 'string', minLength: 1 } },
          },
        ],
      },
    },
    maxAge: durationSchema('Refuse CSRs older than this (the rotation window).', '1h'),
    allowExistingNode: {
      description: 'Approve even when a Node of that name already exists (re-joining a machine).',
      type: 'boolean',
      default: false,
    },
  },
} as const satisfies JsonSchema;

/**
 * The approve parameters plus the client step's own: `requestors` filled (DEFAULT_CLIENT_REQUESTORS) with every
 * username turned into a rule, `maxAge` in ms, `allowExistingNode` filled.
 */
export type ApproveClientParams = Omit<WithSelector<ParamsFilled<typeof schema>>, 'requestors' | 'maxAge'> & {
  requestors: RequestorRule[];
  maxAgeMs: number;
};

/**
 * Whether a Node of this name blocks the CSR. A Node this run registered (by approving its client CSR) does
 * not block rotation duplicates created before it; anything created after is a takeover attempt.
 */
function createNodeExists(world: World) {
  return (name: string, csr: CsrRecord): boolean => {
    const ownAt = world.ownClientApprovals.get(name);
    const node = world.nodes.get(name);
    if (node) {
      if (ownAt === undefined || csr.createdAt === undefined) return true;
      const registered = Date.parse(node.metadata.creationTimestamp ?? '');
      return !(Number.isFinite(registered) && csr.createdAt <= registered);
    }
    return ownAt !== undefined && ownAt > 0 && csr.createdAt !== undefined && csr.createdAt > ownAt;
  };
}

export const clientApprover: ApproverFactory<ApproveClientParams> = {
  kind: 'client',
  label: 'client',
  signer: CLIENT_SIGNER,
  needsMachines: () => false,
  create: (params, world) => {
    const env = {
      selector: world.selector,
      requestors: params.requestors,
      now: world.now,
      maxAgeMs: params.maxAgeMs,
      allowExistingNode: params.allowExistingNode,
      nodeExists: createNodeExists(world),
    };
    return {
      kind: 'client',
      label: 'client',
      signer: CLIENT_SIGNER,
      nodeOf: claimedClientNode,
      // Another signer asking for a node's client identity is reported here; node requestors belong to the serving step.
      claimsForeign: (record) => claimedClientNode(record) !== undefined && nodeNameOf(record.username) === undefined,
      evaluate: (record) => evaluateClientCsr(record, env),
      // Too old, or blocked only by the Node this run's own approval registered: a rotation leftover, never an identity failure.
      isStale: (record, check) =>
        check === 'max-age' || (check === 'existing-node' && world.ownClientApprovals.has(claimedClientNode(record) ?? '')),
    };
  },
};

export const approveClientCsrs: StepType<ApproveClientParams, ApproveOutputs, ParamsInput<typeof schema>> = {
  type: 'approve-client-csrs',
  description: 'Approve the kubelet client CSRs of the inventory machines after checking requestor, subject, usages, key and age',
  mutating: true,
  schema,
  outputs: approveOutputs('client'),
  check: checkSelectorParams,
  normalize: (params) => ({
    ...normalizeApproveParams(params),
    requestors: (params.requestors ?? DEFAULT_CLIENT_REQUESTORS).map((r) => (typeof r === 'string' ? { user: r } : r)),
    maxAgeMs: toMs(params.maxAge, 'maxAge', '1h'),
    allowExistingNode: params.allowExistingNode ?? false,
  }),
  run: (params, ctx) => runApprover(clientApprover, params, ctx),
  plan: (params, ctx) => planApprover(clientApprover, params, ctx),
};
