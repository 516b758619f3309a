// `--output plain`: one timestamped line per event, for CI logs and pipes.

import type { Writable } from 'node:stream';
import { styleText } from 'node:util';
import type { EngineEvent } from '../engine/events.js';
import { formatEvent } from './format-event.js';
import type { Renderer } from './renderer.js';

const STATUS_COLORS: Record<string, Parameters<typeof styleText>[0]> = {
  succeeded: 'green',
  failed: 'red',
  interrupted: 'yellow',
  cancelled: 'yellow',
  skipped: 'gray',
};

function colorFor(event: EngineEvent): Parameters<typeof styleText>[0] | undefined {
  if (event.type === 'step-end' || event.type === 'run-end') return STATUS_COLORS[event.status];
  if (event.type === 'attempt-end' && !event.ok) return 'yellow';
  if (event.type === 'step-log' && event.stream === 'stderr') return 'gray';
  return undefined;
}

export function createPlainRenderer(stdout: Writable, options: { color: boolean }): Renderer {
  return {
    handle(event) {
      const color = options.color ? colorFor(event) : undefined;
      for (const line of formatEvent(event)) {
        stdout.write(`${event.time} ${color ? styleText(color, line) : line}\n`);
      }
    },
    close: async () => {},
  };
}
