// /proc/<pid>/stat (Linux), read one way: the fields after the command name, which may hold spaces and parentheses.

import { readFileSync } from 'node:fs';

/** Fields from the state on (index 0 = state letter, 2 = process group, 19 = start time), or undefined when gone. */
export function readProcStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
