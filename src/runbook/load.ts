// Reading runbook files from disk: load one (throws) or check many (returns diagnostics).

import { readFile as readFileFromDisk } from 'node:fs/promises';
import { RunbookError, UsageError, type Diagnostic } from '../errors.js';
import type { StepRegistry } from '../steps/registry.js';
import type { Runbook } from './types.js';
import { sortDiagnostics, validateRunbookText } from './validate.js';
import { parseYamlDocuments } from './yaml.js';

export interface LoadOptions {
  registry: StepRegistry;
  /** @default fs.readFile as UTF-8 */
  readFile?: (path: string) => Promise<string>;
}

const readUtf8 = (path: string): Promise<string> => readFileFromDisk(path, 'utf8');

/** Parses, validates and normalises a runbook file; throws RunbookError with every diagnostic, sorted by position. */
export async function loadRunbook(file: string, options: LoadOptions): Promise<Runbook> {
  const text = await readText(file, options.readFile ?? readUtf8);
  return loadRunbookText(text, file, options);
}

/** Same as loadRunbook, from text already in memory. */
export function loadRunbookText(text: string, file: string, options: { registry: StepRegistry }): Runbook {
  const { diagnostics, runbook } = validateRunbookText(text, file, options);
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
    let text: string;
    try {
      text = await (options.readFile ?? readUtf8)(file);
    } catch (error) {
      all.push({ file, line: 1, col: 1, path: '(file)', message: `cannot read: ${describeReadError(error)}` });
      continue;
    }
    all.push(...validateRunbookText(text, file, options).diagnostics);
  }
  return sortDiagnostics(all);
}

/** Reads a --values file (YAML or JSON): a map of input name → value. */
export async function readValuesFile(file: string, readFile: (path: string) => Promise<string> = readUtf8): Promise<Record<string, unknown>> {
  const text = await readText(file, readFile);
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

async function readText(file: string, readFile: (path: string) => Promise<string>): Promise<string> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${describeReadError(error)}`, { cause: error });
  }
}

/** Why a file could not be read, in a few words (no such file, is a directory, permission denied). */
export function describeReadError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}
