// The journal's durability promises, checked against the fs calls themselves: without the syncs these tests fail.

import { mkdtempSync, rmSync } from 'node:fs';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineEvent } from '../../../src/engine/events.js';
import { writeRunMetadata } from '../../../src/store/local/metadata.js';
import { openJournal } from '../../../src/store/local/writer.js';

// Spies that call through, so the journal is really written and synced; `calls` keeps their order.
const calls: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const dirFds = new Map<number, string>();
  return {
    ...actual,
    openSync: vi.fn((file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      const fd = actual.openSync(file, flags ?? 'r', mode);
      if (actual.statSync(file).isDirectory()) dirFds.set(fd, String(file));
      return fd;
    }),
    closeSync: vi.fn((fd: number) => {
      dirFds.delete(fd);
      actual.closeSync(fd);
    }),
    writeSync: vi.fn((fd: number, data: string) => {
      calls.push(`write ${JSON.parse(data).type ?? 'metadata'}`);
      return actual.writeSync(fd, data);
    }),
    fdatasyncSync: vi.fn((fd: number) => {
      calls.push('fdatasync');
      actual.fdatasyncSync(fd);
    }),
    fsyncSync: vi.fn((fd: number) => {
      calls.push(dirFds.has(fd) ? `fsync-dir ${dirFds.get(fd)}` : 'fsync');
      actual.fsyncSync(fd);
    }),
  };
});

const runId = '20260101-000000-000-abcdef';
const time = '2026-01-01T00:00:00.000Z';
const runStart = { type: 'run-start', time, runId, runbook: { path: 'x.yaml', name: 'x', sha256: 'f00' }, inputs: {}, steps: [] } as unknown as EngineEvent;
const stepStart: EngineEvent = { type: 'step-start', time, runId, stepId: 'a' };
const stepLog: EngineEvent = { type: 'step-log', time, runId, stepId: 'a', stream: 'stdout', line: 'hi' };
const runEnd: EngineEvent = { type: 'run-end', time, runId, status: 'succeeded', durationMs: 0 };
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'opsbook-journal-'));
  calls.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('journal writer durability', () => {
  it('fsyncs the new run directory and its parent once the journal file exists', () => {
    const runs = path.join(dir, 'runs');
    const journal = openJournal(path.join(runs, runId, 'journal.ndjson'));
    expect(calls).toEqual([`fsync-dir ${path.join(runs, runId)}`, `fsync-dir ${runs}`, `fsync-dir ${dir}`]);
    journal.close();
    // Reopening an existing journal (resume) creates no directory entry, so nothing to sync.
    calls.length = 0;
    openJournal(path.join(runs, runId, 'journal.ndjson')).close();
    expect(calls.filter((c) => c.startsWith('fsync-dir'))).toEqual([]);
  });

  it('syncs run-start and run-end before append returns', () => {
    const journal = openJournal(path.join(dir, 'journal.ndjson'));
    calls.length = 0;
    journal.append(runStart);
    expect(calls).toEqual(['write run-start', 'fdatasync']);
    journal.append(runEnd);
    expect(calls).toEqual(['write run-start', 'fdatasync', 'write run-end', 'fdatasync']);
    journal.close();
  });

  it('syncs other events once per loop turn, before work scheduled after them runs', async () => {
    const journal = openJournal(path.join(dir, 'journal.ndjson'));
    calls.length = 0;
    journal.append(stepStart);
    journal.append(stepLog);
    // Group commit: written at once, synced together at the end of this turn.
    expect(calls).toEqual(['write step-start', 'write step-log']);
    await nextTurn();
    expect(calls).toEqual(['write step-start', 'write step-log', 'fdatasync']);
    await nextTurn();
    expect(calls.filter((c) => c === 'fdatasync')).toHaveLength(1);
    journal.close();
  });

  it('syncs what is pending on close', () => {
    const journal = openJournal(path.join(dir, 'journal.ndjson'));
    calls.length = 0;
    journal.append(stepStart);
    journal.close();
    expect(calls).toEqual(['write step-start', 'fdatasync']);
  });

  it('syncs run.json and its directory entry (resume finds the runbook through it)', () => {
    const runDir = path.join(dir, 'runs', runId);
    openJournal(path.join(runDir, 'journal.ndjson')).close();
    calls.length = 0;
    writeRunMetadata(dir, { runId, runbook: { path: 'x.yaml', name: 'x', sha256: 'f00' }, inputs: {}, secretInputs: [], startedAt: time });
    expect(calls).toEqual(['write metadata', 'fsync', `fsync-dir ${runDir}`]);
  });
});
