// The summary `opsbook runs` shows of a run, from its folded history: kept in the store once the run ends (record.ts).

import type { RunSummaryRecord } from '../../store/index.js';
import type { RunHistory } from './replay.js';

/** undefined while the history is open: no run-start yet, or no run-end after the last one (running, or killed). */
export function endedSummary(history: RunHistory): RunSummaryRecord | undefined {
  const first = history.firstStart;
  if (!first || history.status === undefined || history.lastTime === undefined) return undefined;
  return {
    runbook: first.runbook,
    startedAt: first.time,
    lastTime: history.lastTime,
    resumes: history.resumes,
    status: history.status,
    ...(history.error !== undefined ? { error: history.error } : {}),
  };
}
