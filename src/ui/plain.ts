// `--output plain`: one timestamped line per event, for CI logs and pipes.

import type { Writable } from 'node:stream';
import type { EngineEvent } from '../engine/events.js';
import { escapeControl } from './escape.js';
import { formatEvent } from './format-event.js';
import type { Renderer } from './renderer.js';

// Raw SGR codes: util.styleText drops colour when process.stdout is not a terminal, even if the caller asked for it.
const SGR = { green: 32, red: 31, yellow: 33, gray: 90 } as const;
type Color = keyof typeof SGR;
const paint = (color: Color, text: string) => `\u001b[${SGR[color]}m${text}\u001b[39m`;

const STATUS_COLORS: Record<string, Color> = {
  succeeded: 'green',
  failed: 'red',
  interrupted: 'yellow',
  cancelled: 'yellow',
  skipped: 'gray',
};

function colorFor(event: EngineEvent): Color | undefined {
  if (event.type === 'step-end' || event.type === 'run-end') return STATUS_COLORS[event.status];
  if (event.type === 'attempt-end' && !event.ok) return 'yellow';
  if (event.type === 'step-log' && event.stream === 'stderr') return 'gray';
  return undefined;
}

export function createPlainRenderer(stdout: Writable, options: { color: boolean }): Renderer {
  return {
    handle(event) {
      const color = options.color ? colorFor(event) : undefined;
      for (const raw of formatEvent(event)) {
        const line = escapeControl(raw);
        stdout.write(`${event.time} ${color ? paint(color, line) : line}\n`);
      }
    },
    close: async () => {},
  };
}
