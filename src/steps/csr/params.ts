// Parameters the four CSR steps share (inventory or match, identity source): one schema fragment, one normaliser.

import { isIP } from 'node:net';
import { DURATION_PATTERN, parseDuration } from '../../time/duration.js';
import { StepError } from '../../errors.js';
import { createNodeSelector, type NodeIdentity, type NodeSelector } from '../../csr/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, ParamIssue } from '../types.js';

const NODE_NAME = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' } as const satisfies JsonSchema;

/** JSON Schema properties every CSR step accepts. */
export const selectorProperties = {
  nodes: {
    description:
      'Inventory of the machines expected to join: names, or {name, addresses, hostnames}. The safe default; use this or match.',
    type: 'array',
    minItems: 1,
    items: {
      oneOf: [
        NODE_NAME,
        {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: NODE_NAME,
            addresses: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'IP addresses the node may claim in its serving certificate' },
            hostnames: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'DNS names the node may claim in its serving certificate' },
          },
        },
      ],
    },
  },
  match: {
    description: 'Instead of an inventory: a regex the whole node name must match (anchored). Requires count.',
    type: 'string',
    minLength: 1,
  },
  count: { description: 'With match: how many matching nodes are expected.', type: 'integer', minimum: 1 },
  identity: {
    description:
      "Where a node's IPs and DNS names come from: inventory (its addresses/hostnames plus the Node's status.addresses) or machines (Machine objects' status.addresses).",
    enum: ['inventory', 'machines'],
    default: 'inventory',
  },
} as const satisfies Record<string, JsonSchema>;

/** The schema of a step taking only the selector (wait-node-ready's, without `$schema` and `title`). */
export interface SelectorSchema {
  readonly type: 'object';
  readonly additionalProperties: false;
  readonly properties: typeof selectorProperties;
}

/** A duration string with its schema `default` (so the derived parameter type has it filled). */
export function durationSchema<D extends string>(
  description: string,
  fallback: D,
): { readonly type: 'string'; readonly pattern: string; readonly description: string; readonly default: D } {
  return {
    type: 'string',
    pattern: DURATION_PATTERN,
    description,
    default: fallback,
  };
}

/**
 * A CSR step's schema parameters, defaults filled, with the selector normalised: every inventory entry an identity
 * (addresses and hostnames filled), `count` filled (the inventory's size, or 1 with match).
 */
export type WithSelector<F> = Omit<F, 'nodes' | 'count'> & { nodes?: NodeIdentity[]; count: number };

/** What normalizeSelectorParams receives: the selector part of `with:` as the schema passed it. */
export type SelectorInput = ParamsInput<SelectorSchema>;

/** Normalised selector parameters: plain data (journal-safe); the RegExp is built at run time. */
export type SelectorParams = WithSelector<ParamsFilled<SelectorSchema>>;

/** Checks the schema cannot express: nodes xor match, count with match, a compilable regex, IPs, duplicates. */
export function checkSelectorParams(params: Record<string, unknown>): ParamIssue[] {
  const issues: ParamIssue[] = [];
  if (params.nodes !== undefined && params.match !== undefined) {
    issues.push({ path: 'match', message: 'give either nodes (an inventory) or match, not both' });
  }
  if (params.match !== undefined) {
    if (params.count === undefined && params.nodes === undefined) {
      issues.push({ path: 'count', message: 'match needs count: how many matching nodes are expected' });
    }
    try {
      new RegExp(String(params.match));
    } catch (error) {
      issues.push({ path: 'match', message: `not a valid regular expression: ${(error as Error).message}` });
    }
  }
  if (params.count !== undefined && params.match === undefined && params.nodes !== undefined) {
    issues.push({ path: 'count', message: 'count only applies to match (the inventory gives the count)' });
  }
  if (Array.isArray(params.nodes)) {
    const seen = new Set<string>();
    params.nodes.forEach((entry, i) => {
      const name = typeof entry === 'string' ? entry : (entry as { name?: string })?.name;
      if (typeof name === 'string') {
        if (seen.has(name)) issues.push({ path: `nodes[${i}]`, message: `node ${name} is listed twice` });
        seen.add(name);
      }
      const addresses = typeof entry === 'object' && entry ? (entry as { addresses?: unknown }).addresses : undefined;
      if (Array.isArray(addresses)) {
        addresses.forEach((ip, j) => {
          if (typeof ip === 'string' && isIP(ip) === 0) {
            issues.push({ path: `nodes[${i}].addresses[${j}]`, message: `expected an IP address, got ${JSON.stringify(ip)}` });
          }
        });
      }
    });
  }
  return issues;
}

export function normalizeSelectorParams(params: SelectorInput): SelectorParams {
  const identity = params.identity ?? 'inventory';
  if (params.nodes !== undefined) {
    const nodes = params.nodes.map((entry) =>
      typeof entry === 'string'
        ? { name: entry, addresses: [], hostnames: [] }
        : { name: entry.name, addresses: entry.addresses ?? [], hostnames: entry.hostnames ?? [] },
    );
    return { nodes, count: nodes.length, identity };
  }
  if (params.match !== undefined) return { match: params.match, count: params.count ?? 1, identity };
  throw new StepError('with.nodes (an inventory) or with.match is required', { errorClass: 'permanent' });
}

export function buildSelector(params: SelectorParams): NodeSelector {
  return createNodeSelector(params.nodes ? { nodes: params.nodes } : { match: params.match, count: params.count });
}

/** Duration text → ms, throwing a permanent error naming the field. */
export function toMs(value: unknown, field: string, fallback: string): number {
  const ms = parseDuration(String(value ?? fallback));
  if (ms === undefined) throw new StepError(`with.${field}: expected a duration like 1h or 90s, got ${JSON.stringify(value)}`);
  return ms;
}
