// `opsbook runs`: every run under the state directory with its runbook, status, start and duration.

import { existsSync, readdirSync } from 'node:fs';
import { readJournalSync } from './read.js';
import { journalPathFor, runsDir } from './paths.js';
import { isRunActive } from './owner.js';
import { replayJournal } from './replay.js';
import type { RunStatus } from '../events.js';

export interface RunSummary {
  runId: string;
  runbook: { name: string; path: string; sha256: string };
  /** 'running': a live process is writing it; 'crashed': it stopped without a run-end (killed, power loss). */
  status: RunStatus | 'running' | 'crashed';
  startedAt: string;
  /** From the first start to the last event. */
  durationMs: number;
  /** How many times it was resumed. */
  resumes: number;
  error?: string;
}

/** Newest first. Unreadable run directories are skipped. */
export async function listRuns(stateDir: string): Promise<RunSummary[]> {
  const dir = runsDir(stateDir);
  if (!existsSync(dir)) return [];
  const summaries: RunSummary[] = [];
  for (const runId of readdirSync(dir).sort().reverse()) {
    const summary = summarizeRun(stateDir, runId);
    if (summary) summaries.push(summary);
  }
  return summaries;
}

export function summarizeRun(stateDir: string, runId: string): RunSummary | undefined {
  let history;
  try {
    history = replayJournal(readJournalSync(journalPathFor(stateDir, runId)).events);
  } catch {
    return undefined;
  }
  const first = history.firstStart;
  if (!first) return undefined;
  const status = history.status ?? (isRunActive(stateDir, runId) ? 'running' : 'crashed');
  return {
    runId,
    runbook: first.runbook,
    status,
    startedAt: first.time,
    durationMs: Date.parse(history.lastTime!) - Date.parse(first.time),
    resumes: history.resumes,
    ...(history.error !== undefined ? { error: history.error } : {}),
  };
}
