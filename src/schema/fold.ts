// ajv reports every failing branch of a oneOf/anyOf; users need one sentence per problem.

import type { RawSchemaError } from './messages.js';

const COMBINATORS = new Set(['oneOf', 'anyOf', 'propertyNames', 'not', 'if']);

/** Drops the errors of combinator branches (the parent speaks for them), except the one branch that fits the value. */
export function foldCombinatorErrors(errors: readonly RawSchemaError[]): RawSchemaError[] {
  const parents = errors.filter((e) => COMBINATORS.has(e.keyword));
  // When exactly one branch of a oneOf/anyOf fits the value's type, that branch's own errors say more than the combinator.
  const unfolded = new Map<RawSchemaError, string>();
  for (const parent of parents) {
    const branch = findOnlyMatchingBranch(parent);
    if (branch !== undefined) unfolded.set(parent, `${parent.schemaPath}/${branch}/`);
  }
  // parents by instance path, so finding an error's parents looks only at its own path's prefixes (no errors × parents scan)
  const byInstance = new Map<string, RawSchemaError[]>();
  for (const parent of parents) byInstance.set(parent.instancePath, [...(byInstance.get(parent.instancePath) ?? []), parent]);
  const kept = errors.filter((e) => {
    // "must match the else schema" says nothing the then/else branch's own errors do not say better.
    if (e.keyword === 'if' || unfolded.has(e)) return false;
    for (const prefix of listPrefixes(e.instancePath)) {
      for (const p of byInstance.get(prefix) ?? []) {
        if (p !== e && isBranchOf(e, p) && !(unfolded.has(p) && e.schemaPath.startsWith(unfolded.get(p)!))) return false;
      }
    }
    return true;
  });
  return kept;
}

function findOnlyMatchingBranch(error: RawSchemaError): number | undefined {
  if (error.keyword !== 'oneOf' && error.keyword !== 'anyOf') return undefined;
  if (error.keyword === 'oneOf' && Array.isArray(error.params.passingSchemas)) return undefined; // several matched
  const branches = error.schema;
  if (!Array.isArray(branches)) return undefined;
  const actual = jsonType(error.data);
  const matching = branches.flatMap((branch: unknown, i) => {
    const type = (branch as { type?: unknown } | null)?.type;
    if (type === undefined) return [];
    const types = Array.isArray(type) ? type : [type];
    return types.includes(actual) || (actual === 'integer' && types.includes('number')) ? [i] : [];
  });
  const typed = branches.every((branch: unknown) => (branch as { type?: unknown } | null)?.type !== undefined);
  return typed && matching.length === 1 ? matching[0] : undefined;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** '/a/b' → ['', '/a', '/a/b'] */
function listPrefixes(pointer: string): string[] {
  const out = [''];
  let index = pointer.indexOf('/', 1);
  while (index > 0) {
    out.push(pointer.slice(0, index));
    index = pointer.indexOf('/', index + 1);
  }
  if (pointer) out.push(pointer);
  return out;
}

function isBranchOf(error: RawSchemaError, parent: RawSchemaError): boolean {
  return error.schemaPath.startsWith(`${parent.schemaPath}/`) && error.instancePath.startsWith(parent.instancePath);
}

