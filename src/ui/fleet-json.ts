// `--output json` for a fleet: NDJSON, each cluster's engine events with a `cluster` field, the fleet's own events as they are.

import type { Writable } from 'node:stream';
import type { FleetEvent } from '../fleet/index.js';
import { escapeJsonControl } from './escape.js';
import type { FleetRenderer } from './fleet-renderer.js';

export function createFleetJsonRenderer(stdout: Writable): FleetRenderer {
  return {
    handle(event: FleetEvent) {
      const record = event.type === 'cluster-event' ? { cluster: event.cluster, ...event.event } : event;
      stdout.write(`${escapeJsonControl(JSON.stringify(record))}\n`);
    },
    close: async () => {},
  };
}
