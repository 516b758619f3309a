// The validation pipeline: YAML → schema → semantic checks, all problems in one pass, then normalisation.

import type { Diagnostic } from '../errors.js';
import type { StepRegistry } from '../steps/registry.js';
import type { Runbook } from './types.js';
import { parseYamlWithPositions, parseYamlQuickly, type ParsedYaml } from '../yaml/index.js';
import { validateAgainstSchema, formatPath, type PathSegment } from '../schema/index.js';
import { runbookSchema } from './schema.js';
import { readCheckContext, type ReportOptions } from './check/context.js';
import { checkSteps } from './check/steps.js';
import { checkCycles } from './check/graph.js';
import { checkExpressions } from './check/expressions.js';
import { checkInputs } from './check/inputs.js';
import { checkTemplatePlacement } from './check/placement.js';
import { checkSecretsInArgv } from './check/secret-argv.js';
import { normalizeRunbook } from './normalize.js';

export interface ValidationResult {
  /** Sorted by position; empty when the runbook is valid. */
  diagnostics: Diagnostic[];
  /** The normalised runbook, when there is no diagnostic. */
  runbook?: Runbook;
  /** Risky but valid (e.g. a secret passed as a program argument), sorted by position. */
  warnings: Diagnostic[];
}

/** Validates runbook text completely; never throws for bad content. */
export function validateRunbookText(text: string, file: string, options: { registry: StepRegistry }): ValidationResult {
  // Valid runbooks take the fast parser; any problem is reported from the full one, which locates it exactly.
  const quick = parseYamlQuickly(text, file);
  if (quick) {
    const result = validateParsed(quick, file, options);
    // No value: the text is refused as it stands (nested too deeply for the full parser).
    if (result.diagnostics.length === 0 || quick.value === undefined) return result;
  }
  return validateParsed(parseYamlWithPositions(text, file), file, options);
}

function validateParsed(parsed: ParsedYaml, file: string, options: { registry: StepRegistry }): ValidationResult {
  // Nothing to check beyond the syntax errors when they left no usable document (a recoverable one, like a duplicate key, does).
  if (parsed.diagnostics.length > 0 && parsed.value === undefined) return { diagnostics: sortDiagnostics(parsed.diagnostics), warnings: [] };
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const seen = new Set<string>();
  const schemaPaths = new Set<string>();
  let semantic = false;
  const report = (path: PathSegment[], message: string, opts: ReportOptions = {}): void => {
    const shown = formatPath(path);
    if (!semantic) schemaPaths.add(shown);
    else if (schemaPaths.has(shown)) return; // the schema already said what is wrong with this value
    const where = opts.at ?? path;
    const { line, col } = opts.index !== undefined ? parsed.locateInString(where, opts.index) : parsed.locate(where, opts.target ?? 'value');
    const diagnostic = { file, line, col, path: shown, message };
    const key = `${line}:${col}:${diagnostic.path}:${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    diagnostics.push(diagnostic);
  };
  const warnings: Diagnostic[] = [];
  const warn = (path: PathSegment[], message: string, opts: ReportOptions = {}): void => {
    const where = opts.at ?? path;
    const { line, col } = opts.index !== undefined ? parsed.locateInString(where, opts.index) : parsed.locate(where, opts.target ?? 'value');
    warnings.push({ file, line, col, path: formatPath(path), message });
  };
  if (parsed.value === undefined || parsed.value === null) {
    report([], 'the file is empty: expected a runbook (apiVersion: opsbook.dev/v1, kind: Runbook, metadata, spec)');
    return { diagnostics, warnings };
  }
  for (const issue of validateAgainstSchema(runbookSchema, parsed.value)) report(issue.path, issue.message, { at: issue.at, target: issue.target });
  semantic = true;
  const ctx = readCheckContext(parsed.value, options.registry, report, warn);
  if (ctx) {
    checkInputs(ctx);
    checkTemplatePlacement(ctx);
    checkSteps(ctx);
    const graph = checkCycles(ctx);
    checkExpressions(ctx, graph);
    checkSecretsInArgv(ctx);
  }
  if (diagnostics.length > 0) return { diagnostics: sortDiagnostics(diagnostics), warnings: sortDiagnostics(warnings) };
  return { diagnostics, warnings: sortDiagnostics(warnings), runbook: normalizeRunbook(parsed.value as Record<string, unknown>, file, parsed.locate) };
}

/** By file, then line, then column (stable for equal positions). */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
}
