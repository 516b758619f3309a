// What a renderer printed, for renderer tests: a stream that keeps its text, and a whole event list fed through the
// live tree with listr2's deterministic 'test' renderer (which logs to process.stdout, captured here too).

import { PassThrough } from 'node:stream';
import type { EngineEvent } from '../../src/engine/events.js';
import { createTtyRenderer } from '../../src/ui/tty.js';
import type { Clock } from '../../src/time/clock.js';

export function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

/**
 * Feeds `events` to the tty renderer one event-loop turn apart: `text` is everything it and listr2 printed, `own` what
 * the renderer wrote itself (the lines after the tree).
 */
export async function renderTty(events: readonly EngineEvent[], clock: Clock, renderer: 'test' | 'simple' = 'test'): Promise<{ text: string; own: string }> {
  const out = capture();
  const r = createTtyRenderer({ stdout: out.stream, stderr: out.stream, clock, color: false, renderer, refreshMs: 5 });
  const original = process.stdout.write.bind(process.stdout);
  let listrText = '';
  process.stdout.write = ((chunk: string) => ((listrText += chunk), true)) as typeof process.stdout.write;
  try {
    for (const e of events) {
      r.handle(e);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await r.close();
  } finally {
    process.stdout.write = original;
  }
  return { text: out.text() + listrText, own: out.text() };
}
