// Splits a byte stream into lines for callbacks and keeps a bounded tail of the text for the result.

import { StringDecoder } from 'node:string_decoder';

/** Longest line passed to a callback; longer ones are cut so one runaway line cannot exhaust memory. */
const MAX_LINE_CHARS = 64 * 1024;

export interface LineCollector {
  push(chunk: Buffer | string): void;
  /** Flushes a final unterminated line; returns the kept text. */
  end(): string;
}

/** Feeds `onLine` one complete line at a time and keeps at most `maxBuffer` chars (the tail). */
export function createLineCollector(onLine: ((line: string) => void) | undefined, maxBuffer: number): LineCollector {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let kept = '';
  let dropped = false;

  const keep = (text: string): void => {
    kept += text;
    if (kept.length > maxBuffer) {
      kept = kept.slice(kept.length - maxBuffer);
      dropped = true;
    }
  };

  const emit = (line: string): void => {
    onLine?.(line.endsWith('\r') ? line.slice(0, -1) : line);
  };

  const feed = (text: string): void => {
    keep(text);
    if (!onLine) return;
    carry += text;
    let start = 0;
    let newline = carry.indexOf('\n', start);
    while (newline !== -1) {
      emit(carry.slice(start, newline));
      start = newline + 1;
      newline = carry.indexOf('\n', start);
    }
    carry = carry.slice(start);
    if (carry.length > MAX_LINE_CHARS) {
      emit(carry.slice(0, MAX_LINE_CHARS));
      carry = carry.slice(MAX_LINE_CHARS);
    }
  };

  return {
    push: (chunk) => feed(typeof chunk === 'string' ? chunk : decoder.write(chunk)),
    end: () => {
      feed(decoder.end());
      if (carry.length > 0) emit(carry);
      carry = '';
      return dropped ? `[…truncated]\n${kept}` : kept;
    },
  };
}
