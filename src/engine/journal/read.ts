// Reads a journal back. A torn last line (power loss mid-write) is dropped; any other line that is not an event, and a
// journal from a newer opsbook, are refused (UsageError, exit 2) with the file and line, never a stack trace.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../errors.js';
import type { EngineEvent } from '../events.js';
import { checkEvent } from './check-event.js';
import { checkJournalVersion } from './format.js';

export interface JournalContents {
  events: EngineEvent[];
  /** true when the file does not end with a complete line (a resumed run must start on a fresh line). */
  tornTail: boolean;
}

export async function readJournal(path: string): Promise<EngineEvent[]> {
  return parseJournal(await readFile(path, 'utf8'), path).events;
}

export function readJournalSync(path: string): JournalContents {
  return parseJournal(readFileSync(path, 'utf8'), path);
}

/** Parses NDJSON and checks every event; blank lines are skipped, an unparseable last line counts as torn. */
export function parseJournal(text: string, path = 'journal'): JournalContents {
  const lines = text.split('\n');
  const events: EngineEvent[] = [];
  let tornTail = text.length > 0 && !text.endsWith('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      const isLast = lines.slice(i + 1).every((rest) => rest.trim() === '');
      if (isLast) {
        tornTail = true;
        continue;
      }
      throw new UsageError(`${path}:${i + 1}: not a journal event (not JSON: ${(error as Error).message})`, { cause: error });
    }
    const problem = checkEvent(value);
    if (problem !== undefined) throw new UsageError(`${path}:${i + 1}: not a journal event (${problem})`);
    const event = value as EngineEvent;
    if (event.type === 'run-start') checkJournalVersion(event, path);
    events.push(event);
  }
  return { events, tornTail };
}
