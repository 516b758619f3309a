// Reads a journal back. A torn last line (power loss mid-write) is dropped; a torn line elsewhere is an error.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { EngineEvent } from '../events.js';

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

/** Parses NDJSON; blank lines are skipped, an unparseable last line counts as torn. */
export function parseJournal(text: string, path = 'journal'): JournalContents {
  const lines = text.split('\n');
  const events: EngineEvent[] = [];
  let tornTail = text.length > 0 && !text.endsWith('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as EngineEvent);
    } catch (error) {
      const isLast = lines.slice(i + 1).every((rest) => rest.trim() === '');
      if (isLast) {
        tornTail = true;
        continue;
      }
      throw new Error(`${path}:${i + 1}: journal line is not JSON`, { cause: error });
    }
  }
  return { events, tornTail };
}
