// Gate answers on the local store: one JSON file per answer in `<runDir>/answers/`, written whole then renamed in.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GateAnswer } from '../index.js';
import { runDirFor } from './paths.js';

const answersDir = (stateDir: string, runId: string) => join(runDirFor(stateDir, runId), 'answers');

/** The file name sorts by time, so reading in name order is oldest first; the random tail keeps two answers apart. */
export async function addLocalAnswer(stateDir: string, runId: string, answer: GateAnswer): Promise<void> {
  const dir = answersDir(stateDir, runId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = `${answer.at.replace(/[^0-9TZ]/g, '')}-${randomBytes(4).toString('hex')}.json`;
  const tmp = join(dir, `.${name}.tmp`);
  await writeFile(tmp, `${JSON.stringify(answer)}\n`, { mode: 0o600 });
  await rename(tmp, join(dir, name));
}

export async function readLocalAnswers(stateDir: string, runId: string, stepId: string): Promise<GateAnswer[]> {
  const dir = answersDir(stateDir, runId);
  if (!existsSync(dir)) return [];
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  const answers: GateAnswer[] = [];
  for (const name of names) {
    const answer = parseAnswer(await readFile(join(dir, name), 'utf8'));
    if (answer?.stepId === stepId) answers.push(answer);
  }
  return answers;
}

/** An answer as stored by either backend; undefined for anything not shaped like one (it is ignored, not trusted). */
export function parseAnswer(text: string | undefined): GateAnswer | undefined {
  if (text === undefined) return undefined;
  try {
    const a = JSON.parse(text) as Partial<GateAnswer>;
    if (typeof a.stepId !== 'string' || typeof a.approved !== 'boolean' || typeof a.by !== 'string' || typeof a.at !== 'string') return undefined;
    const groups = Array.isArray(a.groups) ? a.groups.filter((g): g is string => typeof g === 'string') : [];
    return { stepId: a.stepId, approved: a.approved, by: a.by, groups, at: a.at, ...(typeof a.comment === 'string' ? { comment: a.comment } : {}) };
  } catch {
    return undefined;
  }
}
