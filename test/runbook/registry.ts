// A step registry of test doubles with real schemas, independent of the built-in steps other areas are writing.

import type { StepRegistry } from '../../src/steps/registry.js';
import type { AnyStepType } from '../../src/steps/types.js';

const noRun = async (): Promise<Record<string, unknown>> => ({});

export const testStepTypes: AnyStepType[] = [
  {
    type: 'shell',
    description: 'Run a bash script or a command',
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        run: { type: 'string' },
        command: { type: 'array', items: { type: 'string' }, minItems: 1 },
        workingDirectory: { type: 'string' },
      },
      oneOf: [{ required: ['run'] }, { required: ['command'] }],
    },
    outputs: { '*': { type: 'string', description: 'any key written to $OPSBOOK_OUTPUT' } },
    mutating: true,
    run: noRun,
  },
  {
    type: 'wait-for-pending',
    description: 'Wait until the given nodes have pending CSRs',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['nodes'],
      properties: {
        nodes: { type: 'array', items: { type: 'string' }, minItems: 1 },
        interval: { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$', 'x-expected': 'a duration like 10s' },
        expect: { type: 'integer', minimum: 1 },
      },
    },
    outputs: { csrs: { type: 'object', description: 'node → its pending CSR names' }, nodes: { type: 'string[]', description: 'nodes with a pending CSR' } },
    mutating: false,
    check: (params) => (Array.isArray(params.nodes) && params.nodes.includes('localhost') ? [{ path: 'nodes', message: "'localhost' is not a node name" }] : []),
    run: noRun,
  },
  {
    type: 'pause',
    description: 'Wait for the operator to approve',
    schema: { type: 'object', additionalProperties: false, required: ['message'], properties: { message: { type: 'string' } } },
    outputs: { approvedBy: { type: 'string', description: 'who approved' } },
    mutating: false,
    run: noRun,
  },
  {
    type: 'sleep',
    description: 'Wait a duration',
    schema: { type: 'object', additionalProperties: false, required: ['duration'], properties: { duration: { type: ['string', 'number'] } } },
    outputs: {},
    mutating: false,
    run: noRun,
  },
];

export function createTestRegistry(types: AnyStepType[] = testStepTypes): StepRegistry {
  const byType = new Map(types.map((t) => [t.type, t]));
  return { get: (type) => byType.get(type), list: () => [...byType.values()].sort((a, b) => a.type.localeCompare(b.type)) };
}
