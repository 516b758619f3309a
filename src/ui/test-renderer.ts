// A deterministic renderer for tests: the plain text of each event without timestamps or durations.

import type { EngineEvent } from '../engine/events.js';
import { formatEvent } from './format-event.js';
import type { Renderer } from './renderer.js';

export interface TestRenderer extends Renderer {
  /** Every line rendered so far. */
  readonly lines: string[];
  readonly events: EngineEvent[];
}

export function createTestRenderer(): TestRenderer {
  const lines: string[] = [];
  const events: EngineEvent[] = [];
  return {
    lines,
    events,
    handle(event) {
      events.push(event);
      lines.push(...formatEvent(event, { durations: false }));
    },
    close: async () => {},
  };
}
