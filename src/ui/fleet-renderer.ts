// The fleet renderer contract and its factory: tty (a live table), plain (lines) or json (NDJSON), all from FleetEvents.

import type { Writable } from 'node:stream';
import type { FleetEvent } from '../fleet/index.js';
import type { Clock } from '../time/clock.js';
import type { OutputMode } from './renderer.js';

export interface FleetRenderer {
  handle(event: FleetEvent): void;
  /** Draws the last state and the summary, and releases the terminal. */
  close(): Promise<void>;
  /** An operator-facing notice (e.g. "cancelling…"). @default stderr */
  notice?(text: string): void;
  /** Stops redrawing while the operator answers a prompt (a wave's gate); the returned function resumes below it. */
  hold?(): () => void;
}

export interface FleetRendererOptions {
  mode: OutputMode;
  stdout: Writable & { columns?: number; rows?: number };
  stderr: Writable;
  color: boolean;
  clock: Clock;
}

export async function createFleetRenderer(options: FleetRendererOptions): Promise<FleetRenderer> {
  switch (options.mode) {
    case 'json':
      return (await import('./fleet-json.js')).createFleetJsonRenderer(options.stdout);
    case 'plain':
      return (await import('./fleet-plain.js')).createFleetPlainRenderer(options.stdout);
    case 'tty':
      return (await import('./fleet-tty.js')).createFleetTtyRenderer(options);
  }
}
