// The local store (a state directory) against the shared RunStore contract, plus what only files have: modes.

import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalStore } from '../../src/store/local/index.js';
import { describeStoreContract } from './contract.js';

function makeLocal() {
  const dir = mkdtempSync(join(tmpdir(), 'opsbook-store-'));
  const store = createLocalStore(join(dir, 'state'));
  return {
    dir,
    store,
    tearTail: async (runId: string, partial: string) => appendFileSync(store.locate(runId), partial),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

describeStoreContract('local directory', async () => makeLocal());

describe('local store', () => {
  it('keeps journal and metadata 0600 in 0700 directories', async () => {
    const { dir, store, cleanup } = makeLocal();
    try {
      const journal = await store.openJournal('20260101-000000-000-aaaaaa');
      await journal.close();
      await store.writeMetadata({ runId: '20260101-000000-000-aaaaaa', runbook: { path: '/r', name: 'r', sha256: 's' }, inputs: {}, secretInputs: [], startedAt: 't' });
      const runDir = join(dir, 'state', 'runs', '20260101-000000-000-aaaaaa');
      expect(statSync(runDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(runDir, 'journal.ndjson')).mode & 0o777).toBe(0o600);
      expect(statSync(join(runDir, 'run.json')).mode & 0o777).toBe(0o600);
      expect(store.locate('20260101-000000-000-aaaaaa')).toBe(join(runDir, 'journal.ndjson'));
    } finally {
      cleanup();
    }
  });
});
