// An ended run's summary, which `opsbook runs` lists it by, kept in the run's metadata ConfigMap (data key summary.json):
// one list of the namespace's metadata ConfigMaps gives every run and the summaries, without a journal chunk. A run
// has its metadata before its first event (engine/journal/record.ts), so a run listed by its first chunk but not here
// has no events, and is not listed either way.

import { isConflict } from '../../k8s/index.js';
import type { KubeClient } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';
import type { RunIndex, RunSummaryRecord } from '../index.js';
import { isRunSummary } from '../local/metadata.js';
import type { ConfigMap } from './journal.js';
import { CONFIG_MAP, LABEL, MANAGED_BY, metadataName } from './names.js';
import { retryTransient } from './retry.js';

export const SUMMARY_KEY = 'summary.json';
const metadataSelector = `${MANAGED_BY}=opsbook,${LABEL.part}=metadata`;
const MAX_CONFLICTS = 5;

interface SummaryContext {
  kube: KubeClient;
  namespace: string;
  clock: Clock;
}

/** Read, changed and replaced on its resourceVersion (the Role grants update, not patch); a run without metadata gets none. */
export async function writeClusterSummary(ctx: SummaryContext, runId: string, summary: RunSummaryRecord | undefined): Promise<void> {
  for (let conflicts = 0; ; ) {
    const cm = await retryTransient(ctx.clock, () => ctx.kube.get<ConfigMap>({ ...CONFIG_MAP, name: metadataName(runId), namespace: ctx.namespace }));
    if (!cm || (summary === undefined && cm.data?.[SUMMARY_KEY] === undefined)) return;
    const { [SUMMARY_KEY]: _old, ...data } = cm.data ?? {};
    try {
      await retryTransient(ctx.clock, () => ctx.kube.replace({ ...cm, data: summary === undefined ? data : { ...data, [SUMMARY_KEY]: `${JSON.stringify(summary)}\n` } }));
      return;
    } catch (error) {
      if (!isConflict(error) || ++conflicts > MAX_CONFLICTS) throw error;
    }
  }
}

/** A metadata ConfigMap without a (well-formed) summary is a run to replay. */
export async function readClusterRunIndex(ctx: SummaryContext): Promise<RunIndex> {
  const { items } = await retryTransient(ctx.clock, () => ctx.kube.list<ConfigMap>(CONFIG_MAP.apiVersion, CONFIG_MAP.kind, { namespace: ctx.namespace, labelSelector: metadataSelector }));
  const runIds: string[] = [];
  const summaries = new Map<string, RunSummaryRecord>();
  for (const cm of items) {
    const runId = cm.metadata.labels?.[LABEL.runId];
    if (!runId) continue;
    runIds.push(runId);
    const text = cm.data?.[SUMMARY_KEY];
    if (text === undefined) continue;
    try {
      const summary: unknown = JSON.parse(text);
      if (isRunSummary(summary)) summaries.set(runId, summary);
    } catch {
      // Not JSON: listed by replay.
    }
  }
  // Run ids start with their UTC start time, so reverse name order is newest first (as list() orders them).
  return { runIds: runIds.sort().reverse(), summaries };
}
