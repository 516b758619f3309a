// Reading runbook files from disk: load one (throws) or check many (returns diagnostics).

import { RunbookError, UsageError, type Diagnostic } from '../errors.js';
import { describeReadError, readUserText, tryReadUserText } from '../files/read-user-file.js';
import type { StepRegistry } from '../steps/registry.js';
import type { Runbook } from './types.js';
import { sortDiagnostics, validateRunbookText } from './validate.js';
import { parseYamlDocuments } from '../yaml/index.js';

export interface LoadOptions {
  registry: StepRegistry;
  /** @default readUserText: regular UTF-8 files up to MAX_USER_FILE_BYTES */
  readFile?: (path: string) => Promise<string>;
  /** Told about each warning (risky but valid, e.g. a secret passed as a program argument). @default ignored */
  onWarning?: (warning: Diagnostic) => void;
}

/** Parses, validates and normalises a runbook file; throws RunbookError with every diagnostic, sorted by position. */
export async function loadRunbook(file: string, options: LoadOptions): Promise<Runbook> {
  const text = options.readFile ? await readText(file, options.readFile) : await readUserText(file);
  return loadRunbookText(text, file, options);
}

/** Same as loadRunbook, from text already in memory. */
export function loadRunbookText(text: string, file: string, options: Pick<LoadOptions, 'registry' | 'onWarning'>): Runbook {
  const { diagnostics, runbook, warnings } = validateRunbookText(text, file, options);
  if (runbook && options.onWarning) warnings.forEach(options.onWarning);
  if (!runbook) {
    const count = diagnostics.length;
    throw new RunbookError(`${file}: ${count} problem${count === 1 ? '' : 's'}`, diagnostics);
  }
  return runbook;
}

/** Validates several files; unreadable files become diagnostics too. Never throws for bad content. */
export async function checkRunbookFiles(files: string[], options: LoadOptions): Promise<Diagnostic[]> {
  const all: Diagnostic[] = [];
  for (const file of files) {
    const read = options.readFile ? await readInjected(file, options.readFile) : await tryReadUserText(file);
    if ('problem' in read) {
      all.push({ file, line: 1, col: 1, path: '(file)', message: `cannot read: ${read.problem}` });
      continue;
    }
    const { diagnostics, warnings } = validateRunbookText(read.text, file, options);
    all.push(...diagnostics);
    if (options.onWarning) warnings.forEach(options.onWarning);
  }
  return sortDiagnostics(all);
}

/** Reads a --values file (YAML or JSON): a map of input name → value. */
export async function readValuesFile(file: string, readFile?: (path: string) => Promise<string>): Promise<Record<string, unknown>> {
  const text = readFile ? await readText(file, readFile) : await readUserText(file);
  const docs = parseYamlDocuments(text, file);
  if (docs.length === 0) return {};
  const [values] = docs;
  if (docs.length > 1 || !values || typeof values !== 'object' || Array.isArray(values)) {
    throw new RunbookError(`${file}: expected a map of input values`, [
      { file, line: 1, col: 1, path: '(root)', message: 'must be a map of input name → value' },
    ]);
  }
  return values as Record<string, unknown>;
}

async function readInjected(file: string, readFile: (path: string) => Promise<string>): Promise<{ text: string } | { problem: string }> {
  try {
    return { text: await readFile(file) };
  } catch (error) {
    return { problem: describeReadError(error) };
  }
}

async function readText(file: string, readFile: (path: string) => Promise<string>): Promise<string> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${describeReadError(error)}`, { cause: error });
  }
}
