// The one importer of json-schema-to-ts (types only, erased by tsc): step parameter types are derived from the step's
// JSON Schema, so changing a schema changes the type the step's code is checked against.

import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/** A schema literal declared `as const` (readonly), precise enough to derive a type from. */
export type ConstSchema = JSONSchema;

/**
 * What `normalize` receives: raw `with:` after templates resolved and the schema passed. Properties with a `default`
 * stay optional, because ajv runs without `useDefaults` (validation never mutates the runbook).
 */
export type ParamsInput<S extends ConstSchema> = FromSchema<S, { keepDefaultedPropertiesOptional: true }>;

/** The same object once `normalize` has filled every schema `default`: those properties are required. */
export type ParamsFilled<S extends ConstSchema> = FromSchema<S>;
