// approve-server-csrs: approves kubelet serving CSRs whose SANs are the requesting node's own names and IPs.

import { claimedServerNode, evaluateServerCsr, resolveNodeIdentity, SERVING_SIGNER } from '../../csr/index.js';
import type { ParamsInput } from '../params-type.js';
import type { JsonSchema, StepType } from '../types.js';
import { planApprover, runApprover, type ApproveOutputs, type ApproverFactory } from './approver.js';
import type { ApproveParams } from './decide.js';
import { approveOutputs, approveProperties, normalizeApproveParams } from './approve-params.js';
import { checkSelectorParams } from './params.js';

export const serverApprover: ApproverFactory<ApproveParams> = {
  kind: 'server',
  label: 'serving',
  signer: SERVING_SIGNER,
  needsMachines: (params) => params.identity === 'machines',
  create: (params, world) => {
    const env = {
      selector: world.selector,
      identityOf: (name: string) => resolveNodeIdentity(world.selector, params.identity, world.identity(), name),
    };
    return {
      kind: 'server',
      label: 'serving',
      signer: SERVING_SIGNER,
      nodeOf: claimedServerNode,
      // A node asking another signer for a certificate is reported here (client-step CSRs come from bootstrappers).
      claimsForeign: (record) => claimedServerNode(record) !== undefined,
      evaluate: (record) => evaluateServerCsr(record, env),
    };
  },
};

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'approve-server-csrs',
  type: 'object',
  additionalProperties: false,
  properties: { ...approveProperties },
} as const satisfies JsonSchema;

export const approveServerCsrs: StepType<ApproveParams, ApproveOutputs, ParamsInput<typeof schema>> = {
  type: 'approve-server-csrs',
  description: "Approve the kubelet serving CSRs of the inventory nodes whose SANs are the node's own hostnames and IPs",
  mutating: true,
  schema,
  outputs: approveOutputs('serving'),
  check: checkSelectorParams,
  normalize: normalizeApproveParams,
  run: (params, ctx) => runApprover(serverApprover, params, ctx),
  plan: (params, ctx) => planApprover(serverApprover, params, ctx),
};
