// The runbook language's public API: load and validate runbooks, resolve inputs, check step parameters.

export { loadRunbook, loadRunbookText, checkRunbookFiles, readValuesFile, type LoadOptions } from './load.js';
export { validateRunbookText, sortDiagnostics, type ValidationResult } from './validate.js';
export { resolveInputs, type ResolveInputsOptions, type ResolvedInputs } from './inputs.js';
export { validateStepParams } from './params.js';
export { getRunbookSchema, runbookSchema } from './schema.js';
export { normalizeRunbook, hashRunbook, canonicalJson, RUNBOOK_DEFAULTS } from './normalize.js';
export { renderGraph, type GraphFormat } from './graph.js';
export type * from './types.js';
