// JSON Schema for every area: validation (ajv, precompiled where possible), errors in human words, field paths,
// "did you mean" hints, canonical JSON and readable summaries of a schema.

export { validateAgainstSchema, assertValidSchema, generateValidatorsModule, type SchemaIssue } from './ajv.js';
export { describeValue } from './messages.js';
export { formatPath, parsePointer, getAtPath, type PathSegment } from './path.js';
export { editDistance, findCloseNames, formatSuggestion } from './suggest.js';
export { canonicalJson, getSchemaKey } from './canonical-json.js';
export { summarizeParams, describeType, formatParamList, type ParamSummary } from './summary.js';
