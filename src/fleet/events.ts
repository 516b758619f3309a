// The typed events of a fleet run: the scheduler's, each cluster's engine events tagged with the cluster, and the
// fleet's start and end. Renderers (src/ui/fleet*.ts) consume these; nothing here prints.

import type { EngineEvent } from '../engine/events.js';
import type { SchedulerEvent } from './scheduler.js';

export type FleetEvent =
  | (SchedulerEvent & { time: string })
  | {
      type: 'fleet-start';
      time: string;
      fleetId: string;
      fleet: string;
      runbook: string;
      waves: { id: string; clusters: string[] }[];
      maxParallel: number;
      maxFailures: number;
      resumed: boolean;
    }
  | { type: 'cluster-event'; time: string; cluster: string; event: EngineEvent }
  | {
      type: 'fleet-end';
      time: string;
      fleetId: string;
      status: 'succeeded' | 'failed' | 'interrupted';
      reason?: string;
      counts: FleetCounts;
      durationMs: number;
      /** Identical failures grouped: the step, the message and the clusters. */
      failures: FailureGroup[];
      /** false: nothing to resume (a rehearsal's clusters are gone with it). @default true */
      resumable?: false;
    };

export interface FleetCounts {
  succeeded: number;
  failed: number;
  interrupted: number;
  notStarted: number;
}

export interface FailureGroup {
  step?: string;
  message: string;
  clusters: string[];
}

/** Groups failed clusters by (failed step, message), largest group first, so 37 identical failures read as one. */
export function groupFailures(failed: { cluster: string; failedStep?: string; error?: string }[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const f of failed) {
    const message = f.error ?? 'failed';
    const key = `${f.failedStep ?? ''}\u0000${message}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ...(f.failedStep ? { step: f.failedStep } : {}), message, clusters: [] }));
    group.clusters.push(f.cluster);
  }
  return [...groups.values()].sort((a, b) => b.clusters.length - a.clusters.length);
}
