// Fleet runs in the local store: `<stateDir>/fleets/<fleetId>.json`, replaced atomically (write, fsync, rename) so a
// crash mid-write leaves the previous record, never a torn one; `<fleetId>.owner.json` is the claim of the process running it.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetRecord, FleetStore } from '../index.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './modes.js';
import { claimOwnerFile, isOwnerAlive } from './owner.js';
import { syncDirectory } from './writer.js';

const FLEET_FILE = /^(fleet-\d{8}-\d{6}-\d{3}-[0-9a-f]{6})\.json$/;

export function fleetsDir(stateDir: string): string {
  return join(stateDir, 'fleets');
}

export function createLocalFleetStore(stateDir: string): FleetStore {
  const dir = fleetsDir(stateDir);
  return {
    async writeFleet(record) {
      mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      const path = join(dir, `${record.fleetId}.json`);
      const temp = `${path}.tmp`;
      const fd = openSync(temp, 'w', PRIVATE_FILE_MODE);
      try {
        writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
      syncDirectory(dir);
    },
    async readFleet(fleetId) {
      const path = join(dir, `${fleetId}.json`);
      if (!FLEET_FILE.test(`${fleetId}.json`) || !existsSync(path)) return undefined;
      return JSON.parse(readFileSync(path, 'utf8')) as FleetRecord;
    },
    async claimFleet(fleetId, options) {
      if (!FLEET_FILE.test(`${fleetId}.json`)) throw new Error(`not a fleet id: ${fleetId}`);
      mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
      return claimOwnerFile(join(dir, `${fleetId}.owner.json`), `fleet run ${fleetId}`, options);
    },
    isFleetActive: async (fleetId) => FLEET_FILE.test(`${fleetId}.json`) && isOwnerAlive(join(dir, `${fleetId}.owner.json`)),
    async listFleets() {
      if (!existsSync(dir)) return [];
      return readdirSync(dir)
        .map((name) => FLEET_FILE.exec(name)?.[1])
        .filter((id): id is string => id !== undefined)
        .sort()
        .reverse();
    },
  };
}
