// `--output json`: the engine's events as NDJSON, the same records the journal holds.

import type { Writable } from 'node:stream';
import type { Renderer } from './renderer.js';

export function createJsonRenderer(stdout: Writable): Renderer {
  return {
    handle: (event) => void stdout.write(`${JSON.stringify(event)}\n`),
    close: async () => {},
  };
}
