// Stamps, redacts and fans out every event: the journal first (so a crash loses nothing shown), then the sink.

import type { Clock } from '../time/clock.js';
import type { EngineEvent, EventSink } from './events.js';
import type { JournalWriter } from './journal/writer.js';
import type { Redactor } from './redact.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as the engine builds it; the emitter adds `time` and `runId`. */
export type EventBody = DistributiveOmit<EngineEvent, 'time' | 'runId'>;

export type Emit = (body: EventBody) => void;

export function createEmitter(runId: string, clock: Clock, redactor: Redactor, journal: JournalWriter, sink: EventSink): Emit {
  return (body) => {
    const event = redactor.value({ time: new Date(clock.now()).toISOString(), runId, ...body } as EngineEvent);
    journal.append(event);
    try {
      sink(event);
    } catch {
      // A renderer bug must not break the run or its journal.
    }
  };
}
