// The renderer contract and the factory the CLI calls; listr2 (tty) is loaded only when the tty mode is chosen.

import type { Readable, Writable } from 'node:stream';
import type { EngineEvent } from '../engine/events.js';
import type { Clock } from '../time/clock.js';

/** `tty` = live tree, `plain` = one timestamped line per event, `json` = NDJSON events. */
export type OutputMode = 'tty' | 'plain' | 'json';
export const OUTPUT_MODES: readonly OutputMode[] = ['tty', 'plain', 'json'];

export interface Renderer {
  /** Receives every engine event, in order, as it happens. */
  handle(event: EngineEvent): void;
  /** Finishes drawing (tables printed after the live tree, terminal released). */
  close(): Promise<void>;
  /** Shows an operator-facing notice (e.g. "cancelling…") where the display can be seen; default: stderr. */
  notice?(text: string): void;
  /** Asks a question inside the live display (tty only: its output capture would hide a plain prompt). */
  ask?(stepId: string, question: string, input: Readable): Promise<string>;
}

export interface RendererOptions {
  mode: OutputMode;
  stdout: Writable;
  stderr: Writable;
  /** @default false */
  color?: boolean;
  /** The run's clock, for elapsed time and the deadline countdown (scaled in rehearsals). */
  clock: Clock;
}

/** Builds the renderer for a mode; only `tty` pulls in listr2. */
export async function createRenderer(options: RendererOptions): Promise<Renderer> {
  switch (options.mode) {
    case 'json': {
      const { createJsonRenderer } = await import('./json.js');
      return createJsonRenderer(options.stdout);
    }
    case 'plain': {
      const { createPlainRenderer } = await import('./plain.js');
      return createPlainRenderer(options.stdout, { color: options.color ?? false });
    }
    case 'tty': {
      const { createTtyRenderer } = await import('./tty.js');
      return createTtyRenderer({ stdout: options.stdout, stderr: options.stderr, clock: options.clock, color: options.color ?? false });
    }
  }
}
