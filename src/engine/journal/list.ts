// `opsbook runs`: every run in the store with its runbook, status, start and duration.

import type { RunStore, RunSummaryRecord } from '../../store/index.js';
import type { RunStatus } from '../events.js';
import { findWaitingGates } from './gates.js';
import { replayJournal } from './replay.js';

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
  /** Gates a running run waits at (`opsbook approve|reject` answers them), with since when (ISO). */
  waiting?: { stepId: string; since: string }[];
}

/**
 * Newest first. A run that ended is listed from the summary kept with its metadata (record.ts writes it); one without
 * (still open, or written by an opsbook before summaries) by replaying its journal. Unreadable runs (corrupt, or from a
 * newer opsbook) are skipped: resume names what is wrong with them.
 */
export async function listRuns(store: RunStore): Promise<RunSummary[]> {
  const index = (await store.readRunIndex?.()) ?? { runIds: await store.list(), summaries: new Map<string, RunSummaryRecord>() };
  const summaries: RunSummary[] = [];
  for (const runId of index.runIds) {
    const record = index.summaries.get(runId);
    const summary = record ? fromRecord(runId, record) : await summarizeRun(store, runId);
    if (summary) summaries.push(summary);
  }
  return summaries;
}

/** What a replay of the journal gives: the run ended, so it waits at no gate and its claim does not matter. */
function fromRecord(runId: string, record: RunSummaryRecord): RunSummary {
  return {
    runId,
    runbook: record.runbook,
    status: record.status,
    startedAt: record.startedAt,
    durationMs: Date.parse(record.lastTime) - Date.parse(record.startedAt),
    resumes: record.resumes,
    ...(record.error !== undefined ? { error: record.error } : {}),
  };
}

export async function summarizeRun(store: RunStore, runId: string): Promise<RunSummary | undefined> {
  let history;
  let events;
  try {
    events = (await store.read(runId)).events;
    history = replayJournal(events);
  } catch {
    return undefined;
  }
  const first = history.firstStart;
  if (!first) return undefined;
  const status = history.status ?? ((await store.isActive(runId)) ? 'running' : 'crashed');
  return {
    runId,
    runbook: first.runbook,
    status,
    startedAt: first.time,
    durationMs: Date.parse(history.lastTime!) - Date.parse(first.time),
    resumes: history.resumes,
    ...(history.error !== undefined ? { error: history.error } : {}),
    ...waitingOf(status, events),
  };
}

function waitingOf(status: RunSummary['status'], events: Parameters<typeof findWaitingGates>[0]): Pick<RunSummary, 'waiting'> {
  if (status !== 'running') return {};
  const gates = findWaitingGates(events);
  return gates.length > 0 ? { waiting: gates.map((g) => ({ stepId: g.stepId, since: g.since })) } : {};
}
