// The `node` parameter shared by every step that acts on a machine: its JSON Schema and its one normalisation.

import type { JsonSchema, ParamIssue } from '../steps/types.js';
import type { NodeSpec } from './types.js';

/** JSON Schema of one node object (steps embed it, usually as an array under `nodes`). */
export const nodeSchema = {
  type: 'object',
  description: 'A machine reached directly: `local` (this host, optionally via sudo) or `ssh` (system OpenSSH client).',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, description: 'Display name (defaults to the host).' },
    transport: { enum: ['local', 'ssh'], default: 'local' },
    sudo: { type: 'boolean', default: false, description: 'Run commands through `sudo -n`.' },
    host: { type: 'string', minLength: 1 },
    user: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 22 },
    identityFile: { type: 'string', minLength: 1 },
    knownHostsFile: { type: 'string', minLength: 1 },
    strictHostKeyChecking: {
      enum: ['yes', 'accept-new'],
      default: 'yes',
      description: 'Host keys are always checked; `accept-new` only records keys of hosts never seen before.',
    },
    connectTimeout: { type: 'integer', minimum: 1, default: 10, description: 'Seconds.' },
  },
  if: { properties: { transport: { const: 'ssh' } }, required: ['transport'] },
  then: { required: ['host'] },
} as const satisfies JsonSchema;

/** Schema for the `nodes` array parameter. */
export const nodesSchema = {
  type: 'array',
  minItems: 1,
  items: nodeSchema,
  description: 'Machines to act on, one at a time, in order.',
} as const satisfies JsonSchema;

/** Checks what the schema cannot: unique names. */
export function checkNodes(value: unknown, path = 'nodes'): ParamIssue[] {
  if (!Array.isArray(value)) return [];
  const issues: ParamIssue[] = [];
  const seen = new Set<string>();
  value.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object') return;
    const name = displayName(raw as Record<string, unknown>);
    if (seen.has(name)) issues.push({ path: `${path}[${i}].name`, message: `duplicate node name "${name}"` });
    seen.add(name);
  });
  return issues;
}

function displayName(raw: Record<string, unknown>): string {
  if (typeof raw.name === 'string') return raw.name;
  if (raw.transport === 'ssh' && typeof raw.host === 'string') return raw.host;
  return 'localhost';
}

/** Fills every default of one node object (already schema-valid). */
export function normalizeNode(raw: Record<string, unknown>): NodeSpec {
  const transport = raw.transport === 'ssh' ? 'ssh' : 'local';
  return {
    name: displayName({ ...raw, transport }),
    transport,
    sudo: raw.sudo === true,
    host: typeof raw.host === 'string' ? raw.host : 'localhost',
    user: typeof raw.user === 'string' ? raw.user : '',
    port: typeof raw.port === 'number' ? raw.port : 22,
    identityFile: typeof raw.identityFile === 'string' ? raw.identityFile : undefined,
    knownHostsFile: typeof raw.knownHostsFile === 'string' ? raw.knownHostsFile : undefined,
    strictHostKeyChecking: raw.strictHostKeyChecking === 'accept-new' ? 'accept-new' : 'yes',
    connectTimeout: typeof raw.connectTimeout === 'number' ? raw.connectTimeout : 10,
  };
}

/** Normalises a `nodes` array (defaults to the local machine when absent). */
export function normalizeNodes(raw: unknown): NodeSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) return [normalizeNode({})];
  return raw.map((n) => normalizeNode(n as Record<string, unknown>));
}
