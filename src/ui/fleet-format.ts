// Fleet event → text, one formatter per kind (as format-event.ts does for a run), and the final summary that groups
// identical failures; shared by the plain and tty fleet renderers.

import type { FleetEvent } from '../fleet/index.js';
import { formatDurationHuman } from '../time/duration.js';
import { formatEvent } from './format-event.js';

type FleetEventType = FleetEvent['type'];
type EventOf<T extends FleetEventType> = Extract<FleetEvent, { type: T }>;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** At most `max` names, then "and N more": a summary of 1,000 clusters stays readable. */
export function listNames(names: string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

const formatters: { [T in FleetEventType]: (event: EventOf<T>) => string[] } = {
  'fleet-start': (e) => [
    `fleet ${e.fleetId} ${e.resumed ? 'resumed' : 'started'}: ${e.runbook} on ${plural(e.waves.reduce((n, w) => n + w.clusters.length, 0), 'cluster')} of ${e.fleet} in ${plural(e.waves.length, 'wave')} ` +
      `(${e.maxParallel} at once, ${plural(e.maxFailures, 'failure')} tolerated)`,
  ],
  'wave-start': (e) => [`${e.id} started: ${listNames(e.clusters)}`],
  'wave-pause': (e) => [`${e.id}: pausing ${formatDurationHuman(e.ms)} before it starts`],
  'wave-gate': (e) =>
    [e.state === 'waiting' ? `${e.id}: waiting for approval (--approve ${e.id})` : `${e.id}: ${e.state}${e.by ? ` by ${e.by}` : ''}`],
  'cluster-start': (e) => [`[${e.cluster}] started (${`wave-${e.wave}`})`],
  'cluster-event': (e) => formatEvent(e.event).map((line) => `[${e.cluster}] ${line}`),
  'cluster-end': (e) => [
    `[${e.cluster}] ${e.status} in ${formatDurationHuman(e.durationMs)}${e.runId ? ` (run ${e.runId})` : ''}` +
      `${e.status === 'succeeded' ? '' : `${e.failedStep ? ` at step ${e.failedStep}` : ''}${e.error ? `: ${e.error}` : ''}`}`,
  ],
  'budget-exceeded': (e) => [`failure budget exceeded: ${plural(e.failures, 'cluster')} failed, ${e.maxFailures} tolerated; no new cluster starts`],
  'wave-end': (e) => [
    `${e.id} ended: ${e.succeeded} succeeded, ${e.failed} failed${e.interrupted ? `, ${e.interrupted} interrupted` : ''}${e.notStarted ? `, ${e.notStarted} not started` : ''}`,
  ],
  'fleet-end': (e) => formatFleetSummary(e),
};

export function formatFleetEvent(event: FleetEvent): string[] {
  return (formatters[event.type] as (e: FleetEvent) => string[])(event);
}

/** The last lines of a fleet run: the outcome, the counts, then each group of identical failures with its clusters. */
export function formatFleetSummary(e: EventOf<'fleet-end'>): string[] {
  const c = e.counts;
  const counts = [`${c.succeeded} succeeded`, `${c.failed} failed`, ...(c.interrupted ? [`${c.interrupted} interrupted`] : []), ...(c.notStarted ? [`${c.notStarted} not started`] : [])];
  const lines = [`fleet ${e.fleetId} ${e.status} in ${formatDurationHuman(e.durationMs)}: ${counts.join(', ')}${e.reason ? ` (${e.reason})` : ''}`];
  for (const group of e.failures) {
    const where = group.step ? `step ${group.step} failed` : 'failed';
    lines.push(`${where} on ${plural(group.clusters.length, 'cluster')}: ${group.message}`, `  ${listNames(group.clusters)}`);
  }
  if (e.status !== 'succeeded' && e.resumable !== false) lines.push(`resume with: opsbook resume ${e.fleetId}`);
  return lines;
}
