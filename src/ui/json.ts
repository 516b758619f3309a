// `--output json`: the engine's events as NDJSON, the same records the journal holds.

import type { Writable } from 'node:stream';
import { formatEventLine } from '../engine/events.js';
import { escapeJsonControl } from './escape.js';
import type { Renderer } from './renderer.js';

export function createJsonRenderer(stdout: Writable): Renderer {
  // Events of one event-loop turn go out in one write: a syscall per event was a third of a no-op step's cost.
  let pending: string[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const flush = (): void => {
    scheduled = undefined;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    stdout.write(escapeJsonControl(text));
  };
  return {
    handle: (event) => {
      pending.push(formatEventLine(event));
      scheduled ??= setImmediate(flush);
    },
    close: async () => {
      if (scheduled) clearImmediate(scheduled);
      flush();
    },
  };
}
