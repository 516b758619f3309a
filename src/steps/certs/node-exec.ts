// `node-exec`: one command on each node in turn, through the node's transport (local or ssh) — for checks that must
// run on the node itself, like `kubectl get nodes --kubeconfig /etc/kubernetes/admin.conf` after a renewal.

import { StepError } from '../../errors.js';
import { checkNodes, normalizeNodes, quoteShellCommand, type NodeSpec } from '../../node/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepType } from '../types.js';
import { forEachNode } from './nodes.js';
import { commonProperties } from './params.js';

export interface NodeExecResult {
  node: string;
  exitCode: number;
  stdout: string;
}

export interface NodeExecOutputs extends Record<string, unknown> {
  nodes: NodeExecResult[];
}

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'node-exec',
  description: 'Runs one command on each node in turn through its transport (local or ssh, with sudo when the node says so); fails on the first non-zero exit.',
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    nodes: commonProperties.nodes,
    command: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description: 'argv run on each node (no shell), e.g. [kubectl, get, nodes, --kubeconfig, /etc/kubernetes/admin.conf].',
    },
  },
} as const satisfies JsonSchema;

/** `command`: argv on the node (no shell; use [sh, -c, …] for one); `nodes` is normalised (default: this machine). */
export type NodeExecParams = Omit<ParamsFilled<typeof schema>, 'nodes'> & { nodes: NodeSpec[] };

export const nodeExecStep: StepType<NodeExecParams, NodeExecOutputs, ParamsInput<typeof schema>> = {
  type: 'node-exec',
  description: 'Run a command on each node through its transport (local or ssh), one node at a time',
  schema,
  outputs: {
    nodes: { type: 'array', description: 'Per node: exit code and standard output (redacted).' },
  },
  // Any command may change the node: plan previews, never runs.
  mutating: true,
  check: (params) => checkNodes(params.nodes),
  normalize: (params) => ({ nodes: normalizeNodes(params.nodes), command: params.command }),
  async run(params, ctx) {
    const shown = quoteShellCommand(params.command);
    const nodes = await forEachNode(params.nodes, ctx, async (node, spec) => {
      ctx.progress(`${spec.name}: ${shown}`);
      const result = await node.run(params.command, { signal: ctx.signal });
      const stdout = ctx.redact(result.stdout);
      for (const line of stdout.split('\n').filter((l) => l.trim() !== '')) ctx.log(`${spec.name}: ${line}`);
      if (result.exitCode !== 0) {
        const said = ctx.redact(result.stderr).trim().split('\n').slice(-3).join(' | ');
        // Transient: the usual failure right after a restart is an API server still coming up.
        throw new StepError(`${spec.name}: \`${shown}\` exited ${result.exitCode}: ${said}`, {
          errorClass: 'transient',
          details: { node: spec.name, exitCode: result.exitCode },
        });
      }
      return { node: spec.name, exitCode: result.exitCode, stdout };
    });
    return { nodes };
  },
  async plan(params) {
    return { summary: `would run \`${quoteShellCommand(params.command)}\` on ${params.nodes.map((n) => n.name).join(', ')}, one node at a time` };
  },
};
