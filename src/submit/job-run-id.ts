// A scheduled Job's run id, derived from the Job's name so every pod of that Job (a retried one too) finds the same run.

import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * The CronJob controller names each Job `<cronjob>-<scheduled time in Unix minutes>`: the run id takes that time (so ids still sort
 * by start) and six hex digits of the name's SHA-256 (so two CronJobs scheduled at one minute differ).
 */
export function runIdForJob(jobName: string): string {
  const match = /-(\d{1,12})$/.exec(jobName);
  if (!match) throw new UsageError(`--run-id-from-job ${jobName}: not a scheduled Job's name (<cronjob>-<unix minutes>, as the CronJob controller names them)`);
  const iso = new Date(Number(match[1]) * 60_000).toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}-${iso.slice(20, 23)}`;
  return `${stamp}-${createHash('sha256').update(jobName).digest('hex').slice(0, 6)}`;
}
