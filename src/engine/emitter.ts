// Stamps, redacts (free text only) and fans out every event: the journal first (so a crash loses nothing shown), then the sink.

import type { Clock } from '../time/clock.js';
import type { EngineEvent, EventSink } from './events.js';
import type { JournalWriter } from '../store/index.js';
import { redactEvent, type Redactor } from './redact.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as the engine builds it; the emitter adds `time` and `runId`. */
export type EventBody = DistributiveOmit<EngineEvent, 'time' | 'runId'>;

export type Emit = (body: EventBody) => void;

/** `onJournalError` is told once when the journal cannot be written (disk full …); events still reach the sink. */
export function createEmitter(
  runId: string,
  clock: Clock,
  redactor: Redactor,
  journal: JournalWriter,
  sink: EventSink,
  onJournalError: (error: Error) => void,
): Emit {
  let journalBroken = false;
  return (body) => {
    const stamped = { time: new Date(clock.now()).toISOString(), runId, ...body } as EngineEvent;
    const event = redactEvent(stamped, redactor);
    if (!journalBroken) {
      try {
        journal.append(event);
      } catch (error) {
        journalBroken = true;
        onJournalError(error as Error);
      }
    }
    try {
      sink(event);
    } catch {
      // A renderer bug must not break the run or its journal.
    }
  };
}

