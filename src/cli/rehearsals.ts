// Which scenario rehearses each runbook of a directory (DIR/rehearsals/*.yaml), checked whole before any rehearsal starts.

import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { RunbookError, type Diagnostic } from '../errors.js';
import { tryReadUserText } from '../files/read-user-file.js';
import { parseYamlWithPositions, type Locate } from '../yaml/index.js';

/** One rehearsal: a runbook, the scenario it runs on, and what `opsbook rehearse` needs besides. */
export interface Rehearsal {
  /** Absolute paths. */
  runbook: string;
  scenario: string;
  /** Manual gates pre-approved (`--approve`): the operator's part of the procedure. */
  approve: string[];
  /** Overrides the scenario's time scale. */
  timeScale?: number;
  /** The run must fail, its first error line containing this (a check runbook's alarm, rehearsed). */
  expectFailure?: string;
}

/** Where a directory's pairings live, beside its runbooks but not among them (`validate DIR/*.yaml` stays valid). */
export const REHEARSALS_SUBDIR = 'rehearsals';

const KEYS = new Set(['runbook', 'scenario', 'approve', 'timeScale', 'expectFailure']);

/** The runbooks of DIR: its YAML files that say `kind: Runbook` (values files and the like are not paired). */
function listRunbooks(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name) && statSync(path.join(dir, name)).isFile())
    .sort()
    .map((name) => path.join(dir, name))
    .filter((file) => /^kind:\s*Runbook\s*$/m.test(readStart(file)));
}

/** The first 64 KiB of a file, where a runbook states its kind. */
function readStart(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(65536);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Checks one pairing entry, resolving its paths against DIR; problems go to `diagnostics`. */
function readEntry(entry: unknown, index: number, dir: string, file: string, locate: Locate, diagnostics: Diagnostic[], paired: Set<string>): Rehearsal | undefined {
  const at = (key: string | undefined, message: string) => {
    const where = key === undefined ? ['rehearsals', index] : ['rehearsals', index, key];
    diagnostics.push({ file, ...locate(where), path: `rehearsals[${index}]${key ? `.${key}` : ''}`, message });
  };
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return void at(undefined, 'must be a mapping with runbook and scenario');
  const fields = entry as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!KEYS.has(key)) at(key, `unknown field (expected ${[...KEYS].join(', ')})`);
  const pathOf = (key: 'runbook' | 'scenario'): string | undefined => {
    const value = fields[key];
    if (typeof value !== 'string' || value === '') return void at(key, `must be a path relative to ${dir}`);
    const resolved = path.resolve(dir, value);
    if (!existsSync(resolved)) return void at(key, `no such file: ${resolved}`);
    return resolved;
  };
  const runbook = pathOf('runbook');
  // Paired even when the rest of the entry is wrong: that entry's problem is the one to report, not a missing pairing.
  if (runbook) paired.add(runbook);
  const scenario = pathOf('scenario');
  const approve = fields.approve ?? [];
  if (!Array.isArray(approve) || !approve.every((a) => typeof a === 'string' && a !== '')) at('approve', 'must be a list of step ids');
  const timeScale = fields.timeScale;
  if (timeScale !== undefined && !(typeof timeScale === 'number' && timeScale > 0 && Number.isFinite(timeScale))) at('timeScale', `must be a number > 0 (got ${String(timeScale)})`);
  const expectFailure = fields.expectFailure;
  if (expectFailure !== undefined && !(typeof expectFailure === 'string' && expectFailure !== '')) at('expectFailure', 'must be the text the failed run\'s error contains');
  if (!runbook || !scenario) return undefined;
  return { runbook, scenario, approve: approve as string[], ...(typeof timeScale === 'number' ? { timeScale } : {}), ...(typeof expectFailure === 'string' && expectFailure !== '' ? { expectFailure } : {}) };
}

/**
 * Reads DIR/rehearsals/*.yaml: every pairing must name existing files, and every runbook of DIR must be paired.
 * Throws a RunbookError listing every problem with its file:line:col (exit 2, nothing rehearsed).
 */
export async function loadRehearsals(dir: string): Promise<Rehearsal[]> {
  const pairingsDir = path.join(dir, REHEARSALS_SUBDIR);
  if (!existsSync(pairingsDir) || !statSync(pairingsDir).isDirectory()) throw new RunbookError(`${dir} has no ${REHEARSALS_SUBDIR}/ directory naming the scenario of each runbook`);
  const diagnostics: Diagnostic[] = [];
  const rehearsals: Rehearsal[] = [];
  const paired = new Set<string>();
  const files = readdirSync(pairingsDir).filter((name) => /\.ya?ml$/.test(name)).sort().map((name) => path.join(pairingsDir, name));
  for (const file of files) {
    const read = await tryReadUserText(file);
    if ('problem' in read) {
      diagnostics.push({ file, line: 1, col: 1, path: '(file)', message: `cannot read: ${read.problem}` });
      continue;
    }
    const parsed = parseYamlWithPositions(read.text, file);
    diagnostics.push(...parsed.diagnostics);
    const doc = parsed.value as { kind?: unknown; rehearsals?: unknown } | undefined;
    if (doc?.kind !== 'Rehearsals') diagnostics.push({ file, ...parsed.locate(['kind']), path: 'kind', message: 'must be Rehearsals' });
    for (const key of typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? Object.keys(doc) : []) {
      if (!['apiVersion', 'kind', 'rehearsals'].includes(key)) diagnostics.push({ file, ...parsed.locate([key], 'key'), path: key, message: 'unknown field (expected apiVersion, kind, rehearsals)' });
    }
    if (!Array.isArray(doc?.rehearsals)) {
      diagnostics.push({ file, ...parsed.locate(['rehearsals']), path: 'rehearsals', message: 'must be a list of {runbook, scenario}' });
      continue;
    }
    doc.rehearsals.forEach((entry, i) => {
      const rehearsal = readEntry(entry, i, dir, file, parsed.locate, diagnostics, paired);
      if (rehearsal) rehearsals.push(rehearsal);
    });
  }
  for (const runbook of listRunbooks(dir)) {
    if (!paired.has(runbook)) diagnostics.push({ file: runbook, line: 1, col: 1, path: '(file)', message: `no rehearsal pairs this runbook with a scenario (add one to ${pairingsDir}/)` });
  }
  if (files.length === 0) throw new RunbookError(`${pairingsDir} holds no .yaml file naming the scenario of each runbook`);
  if (diagnostics.length > 0) throw new RunbookError(`invalid rehearsals in ${pairingsDir}`, diagnostics);
  return rehearsals;
}
