import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDefaultFleetStore } from '../../src/store/default.js';
import { describeFleetStoreContract, fleetRecord } from './fleet-contract.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'opsbook-fleets-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describeFleetStoreContract('state directory', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'opsbook-fleets-'));
  return { store: openDefaultFleetStore(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
});

describe('local fleet store', () => {
  it('writes, replaces and reads records back; lists fleet ids newest first', async () => {
    const store = openDefaultFleetStore(dir);
    expect(await store.listFleets()).toEqual([]);
    await store.writeFleet(fleetRecord('fleet-20260101-000000-000-aaaaaa'));
    await store.writeFleet(fleetRecord('fleet-20260102-000000-000-bbbbbb'));
    await store.writeFleet(fleetRecord('fleet-20260101-000000-000-aaaaaa', 'succeeded'));
    expect(await store.listFleets()).toEqual(['fleet-20260102-000000-000-bbbbbb', 'fleet-20260101-000000-000-aaaaaa']);
    expect((await store.readFleet('fleet-20260101-000000-000-aaaaaa'))?.status).toBe('succeeded');
    // Replaced by rename: no temporary file is left beside the records.
    expect(readdirSync(path.join(dir, 'fleets')).sort()).toEqual(['fleet-20260101-000000-000-aaaaaa.json', 'fleet-20260102-000000-000-bbbbbb.json']);
  });

  it('keeps records private (0600 in a 0700 directory): they name kubeconfigs and inputs', async () => {
    await openDefaultFleetStore(dir).writeFleet(fleetRecord('fleet-20260101-000000-000-aaaaaa'));
    expect(statSync(path.join(dir, 'fleets')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'fleets', 'fleet-20260101-000000-000-aaaaaa.json')).mode & 0o777).toBe(0o600);
  });

  it('claims a fleet run for one process at a time; a claim of a gone process is taken over', async () => {
    const store = openDefaultFleetStore(dir);
    const id = 'fleet-20260101-000000-000-aaaaaa';
    expect(await store.isFleetActive(id)).toBe(false);
    const claim = await store.claimFleet(id);
    expect(await store.isFleetActive(id)).toBe(true);
    await expect(store.claimFleet(id)).rejects.toThrow(`fleet run ${id} is still running (pid ${process.pid} on host `);
    await claim.release();
    expect(await store.isFleetActive(id)).toBe(false);
    const again = await store.claimFleet(id);
    await again.release();
    writeFileSync(path.join(dir, 'fleets', `${id}.owner.json`), JSON.stringify({ pid: 2 ** 22 + 1, host: (await import('node:os')).hostname(), startTime: '1', since: 'then' }));
    expect(await store.isFleetActive(id)).toBe(false);
    const takeover = await store.claimFleet(id);
    expect(takeover.owner.pid).toBe(process.pid);
    await takeover.release();
    expect(await store.listFleets()).toEqual([]);
  });

  it('reads no path outside the store, and ignores files that are not fleet records', async () => {
    const store = openDefaultFleetStore(dir);
    await store.writeFleet(fleetRecord('fleet-20260101-000000-000-aaaaaa'));
    writeFileSync(path.join(dir, 'fleets', 'notes.json'), '{}');
    expect(await store.readFleet('../fleets/fleet-20260101-000000-000-aaaaaa')).toBeUndefined();
    expect(await store.readFleet('fleet-20990101-000000-000-cccccc')).toBeUndefined();
    expect(await store.listFleets()).toEqual(['fleet-20260101-000000-000-aaaaaa']);
  });
});
