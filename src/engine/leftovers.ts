// Step processes a crashed opsbook left behind: found in its journal, recognised by pid + start time, and stopped
// before anything runs again, so a resumed (or taken-over) run never overlaps the step it is about to repeat.

import { hostname } from 'node:os';
import { checkIdentity, type IdentityCheck, isGroupAlive, terminateGroup } from '../proc/index.js';
import type { EngineEvent } from './events.js';

export type StepProcessEvent = Extract<EngineEvent, { type: 'step-process' }>;

export interface Leftover {
  process: StepProcessEvent;
  /** 'alive': the same process still runs here; 'gone': ended or pid reused; 'unknown': cannot be checked from here. */
  check: IdentityCheck;
}

/** Processes journaled for attempts that never journaled their end (the opsbook running them died first). */
export function findUnfinishedProcesses(events: readonly EngineEvent[]): StepProcessEvent[] {
  const open = new Map<string, StepProcessEvent[]>();
  for (const event of events) {
    if (event.type === 'step-process') {
      const key = `${event.stepId}#${event.attempt}`;
      open.set(key, [...(open.get(key) ?? []), event]);
    } else if (event.type === 'attempt-end') {
      open.delete(`${event.stepId}#${event.attempt}`);
    }
  }
  return [...open.values()].flat();
}

/** Each unfinished process with whether it still runs. A leader that is gone but left its group alive counts as alive. */
export function checkLeftovers(events: readonly EngineEvent[]): Leftover[] {
  return findUnfinishedProcesses(events).map((process) => {
    let check = checkIdentity(process);
    // A pgid cannot be reused while its group has members, so survivors of a dead leader are still that step's.
    if (check === 'gone' && process.host === hostname() && isGroupAlive(process.pgid) && !isPidReused(process)) check = 'alive';
    return { process, check };
  });
}

// The leader's pid now belongs to another live process: its group (if any) is someone else's.
function isPidReused(process: StepProcessEvent): boolean {
  try {
    globalThis.process.kill(process.pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function describeLeftover(p: StepProcessEvent): string {
  return `pid ${p.pid} (process group ${p.pgid}) of step ${p.stepId}, attempt ${p.attempt}, on host ${p.host}`;
}

/** Stops every live leftover's process group (TERM, grace, KILL); tells `report` about each before it acts. */
export async function stopLeftovers(leftovers: readonly Leftover[], graceMs: number, report: (text: string) => void): Promise<number> {
  const alive = leftovers.filter((l) => l.check === 'alive');
  await Promise.all(
    alive.map(async ({ process }) => {
      report(`stopping leftover process ${describeLeftover(process)} from the crashed run (SIGTERM, then SIGKILL after ${graceMs} ms)`);
      await terminateGroup(process.pgid, graceMs);
    }),
  );
  return alive.length;
}
