// `--output plain` for a fleet: one timestamped line per event, each cluster's lines prefixed with `[cluster]`.

import type { Writable } from 'node:stream';
import type { FleetEvent } from '../fleet/index.js';
import { escapeControl } from './escape.js';
import { formatFleetEvent } from './fleet-format.js';
import type { FleetRenderer } from './fleet-renderer.js';

export function createFleetPlainRenderer(stdout: Writable): FleetRenderer {
  return {
    handle(event: FleetEvent) {
      const time = event.type === 'cluster-event' ? event.event.time : event.time;
      for (const line of formatFleetEvent(event)) stdout.write(`${time} ${escapeControl(line)}\n`);
    },
    close: async () => {},
  };
}
