// A CronJob's `schedule` (5-field cron or an @hourly-style macro) in its `timeZone`, as times: the one module that imports croner.

import { Cron } from 'croner';

export interface CronSchedule {
  /** The first scheduled time strictly after `afterMs` (epoch ms), or undefined when there is none. */
  next(afterMs: number): number | undefined;
}

/** Throws an Error naming the schedule (or time zone) when croner refuses it. */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  let cron: Cron;
  try {
    // croner takes an unknown zone silently (as UTC); Intl refuses it, as Kubernetes refuses an unknown timeZone.
    if (timeZone) new Intl.DateTimeFormat('en', { timeZone });
    // legacyMode: a day-of-month and a day-of-week both set match either, as Vixie cron and Kubernetes do.
    cron = new Cron(schedule.trim(), { mode: '5-part', legacyMode: true, paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
  } catch (error) {
    throw new Error(`unparseable schedule ${JSON.stringify(schedule)}${timeZone ? ` in time zone ${timeZone}` : ''}: ${(error as Error).message}`, { cause: error });
  }
  return { next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime() };
}
