// Label and field selectors with the syntax and errors of the real API server.

import { badRequest } from '../api/status.js';
import type { KObject } from './types.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'gt' | 'lt'; key: string; bound: number }
  | { op: 'exists' | 'absent'; key: string };

export type Selector = (object: KObject) => boolean;

const matchAll: Selector = () => true;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseLabelTerm(term: string): Requirement {
  const set = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { op: set[2] as 'in' | 'notin', key: set[1]!, values };
  }
  const cmp = /^([^\s!=()<>]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(term);
  if (cmp) return { op: cmp[2] === '!=' ? 'neq' : 'eq', key: cmp[1]!, value: cmp[3]! };
  const order = /^([^\s!=()<>]+)\s*([<>])\s*(\S*)$/.exec(term);
  if (order) {
    // labels.Parse accepts `key>N` and `key<N`; N must be an integer.
    if (!/^[+-]?\d+$/.test(order[3]!)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
    return { op: order[2] === '>' ? 'gt' : 'lt', key: order[1]!, bound: Number(order[3]) };
  }
  const absent = /^!\s*([^\s!=()]+)$/.exec(term);
  if (absent) return { op: 'absent', key: absent[1]! };
  if (/^[^\s!=(),]+$/.test(term)) return { op: 'exists', key: term };
  throw badRequest(`unable to parse requirement: ${JSON.stringify(term)}`);
}

function test(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'eq':
      return value === req.value;
    case 'neq':
      return value !== req.value;
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case 'absent':
      return value === undefined;
    case 'gt':
    case 'lt': {
      if (value === undefined || !/^[+-]?\d+$/.test(value)) return false;
      return req.op === 'gt' ? Number(value) > req.bound : Number(value) < req.bound;
    }
  }
}

/** Compiles `labelSelector` into a predicate; an empty selector matches everything. */
export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text) return matchAll;
  const reqs = splitTerms(text).map(parseLabelTerm);
  return (object) => {
    const labels = object.metadata.labels ?? {};
    return reqs.every((r) => test(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined));
  };
}

/** Field paths each resource supports in fieldSelector, beyond metadata.name/namespace. */
const EXTRA_FIELDS: Record<string, string[]> = {
  certificatesigningrequests: ['spec.signerName'],
  pods: ['spec.nodeName', 'status.phase', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.podIP'],
  nodes: ['spec.unschedulable'],
  secrets: ['type'],
  namespaces: ['status.phase'],
};

function readField(object: KObject, path: string): string | undefined {
  let value: unknown = object;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  if (value === undefined || value === null) return path === 'metadata.namespace' ? '' : undefined;
  return String(value);
}

/** The real 400 for an unsupported field: kinds with their own field conversion say so tersely, the rest use the default. */
function unsupportedField(resource: { resource: string; custom: boolean }, field: string): string {
  if (EXTRA_FIELDS[resource.resource] || resource.custom) return `field label not supported: ${field}`;
  return `${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/** Compiles `fieldSelector`; unsupported fields are a 400, as on the real server. */
export function parseFieldSelector(text: string | null | undefined, resource: { resource: string; custom: boolean }): Selector {
  if (!text) return matchAll;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[resource.resource] ?? [])]);
  const reqs = splitTerms(text).map((term) => {
    const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    if (!allowed.has(m[1]!)) throw badRequest(unsupportedField(resource, m[1]!));
    return { path: m[1]!, neq: m[2] === '!=', value: m[3]!.trim() };
  });
  return (object) =>
    reqs.every((r) => {
      const value = readField(object, r.path) ?? '';
      return r.neq ? value !== r.value : value === r.value;
    });
}
