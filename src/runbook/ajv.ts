// The only importer of ajv: compiles JSON Schemas (2020-12) once and reports every error, in human words.

import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describeSchemaErrors, type SchemaIssue } from './schema-messages.js';

export type { SchemaIssue } from './schema-messages.js';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

let instance: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function getAjv(): Ajv2020 {
  if (!instance) {
    // strict off: step schemas come from many areas; `x-expected` is our message annotation.
    instance = new Ajv2020({ allErrors: true, verbose: true, strict: false });
    addFormats(instance);
    instance.addKeyword({ keyword: 'x-expected', schemaType: 'string' });
  }
  return instance;
}

/** Validates `value` against `schema` (compiled once per schema object); [] when valid. */
export function validateAgainstSchema(schema: object, value: unknown): SchemaIssue[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = getAjv().compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return describeSchemaErrors(validate.errors ?? [], value);
}

/** Throws when `schema` is not a valid JSON Schema (used to vet step types' schemas in tests). */
export function assertValidSchema(schema: object): void {
  // strictSchema catches unknown keywords (typos like `requried`); union types and the rest are fine in JSON Schema.
  const ajv = new Ajv2020({ strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, allErrors: true });
  addFormats(ajv);
  for (const keyword of ['x-expected', 'x-opsbook-outputs', 'x-opsbook-mutating']) ajv.addKeyword({ keyword });
  ajv.compile(schema);
}
