// The run claim (owner.json): exclusive, recognises its owner by pid + start time, and has one winner in a race.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimRun, isRunActive, readRunOwner } from '../../../src/store/local/owner.js';
import { runDirFor } from '../../../src/store/local/paths.js';
import { identify } from '../../../src/proc/identity.js';

const RUN = '20260101-000000-000-abcdef';
let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'opsbook-owner-'));
  mkdirSync(runDirFor(stateDir, RUN), { recursive: true });
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const ownerFile = () => join(runDirFor(stateDir, RUN), 'owner.json');
const writeOwner = (owner: object) => writeFileSync(ownerFile(), JSON.stringify(owner));

/** The pid of a process that has ended (reaped), so nothing runs under it now (unless reused, which is unlikely here). */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('claimRun', () => {
  it('creates the run directory 0700 when the claim comes first (before the journal opens)', () => {
    const other = '20260101-000000-000-fedcba';
    const claim = claimRun(stateDir, other);
    expect(statSync(runDirFor(stateDir, other)).mode & 0o777).toBe(0o700);
    claim.release();
  });

  it('creates owner.json (mode 0600) with pid, start time and host; a second claim is refused naming the owner', () => {
    const claim = claimRun(stateDir, RUN, { now: () => '2026-01-01T00:00:00.000Z' });
    expect(statSync(ownerFile()).mode & 0o777).toBe(0o600);
    const owner = readRunOwner(stateDir, RUN)!;
    expect(owner).toMatchObject({ pid: process.pid, startTime: identify(process.pid).startTime, since: '2026-01-01T00:00:00.000Z' });
    expect(isRunActive(stateDir, RUN)).toBe(true);
    expect(() => claimRun(stateDir, RUN)).toThrow(`is still running (pid ${process.pid} on host ${owner.host} since 2026-01-01T00:00:00.000Z)`);
    claim.release();
    expect(existsSync(ownerFile())).toBe(false);
    expect(isRunActive(stateDir, RUN)).toBe(false);
  });

  it('takes over an owner whose process is gone', () => {
    writeOwner({ ...identify(process.pid), pid: deadPid(), since: 'then' });
    expect(isRunActive(stateDir, RUN)).toBe(false);
    const claim = claimRun(stateDir, RUN);
    expect(readRunOwner(stateDir, RUN)!.pid).toBe(process.pid);
    claim.release();
  });

  it('takes over an owner whose pid now belongs to another process (different start time)', () => {
    writeOwner({ ...identify(process.pid), startTime: '1', since: 'then' });
    expect(isRunActive(stateDir, RUN)).toBe(false);
    claimRun(stateDir, RUN).release();
  });

  it('takes over an owner written before start times were recorded, once its pid is gone', () => {
    writeOwner({ pid: deadPid(), host: identify(process.pid).host });
    claimRun(stateDir, RUN).release();
  });

  it('refuses an owner on another host unless forced, and release leaves a claim that is not ours alone', () => {
    writeOwner({ pid: 1, host: 'elsewhere.example', startTime: '5', since: 'then' });
    expect(() => claimRun(stateDir, RUN)).toThrow(/claimed by pid 1 on host elsewhere\.example since then, which cannot be checked from here; .*--force/);
    const claim = claimRun(stateDir, RUN, { force: true });
    writeOwner({ pid: 1, host: 'elsewhere.example', startTime: '5', since: 'later' }); // someone forced it back
    claim.release();
    expect(readRunOwner(stateDir, RUN)!.since).toBe('later');
  });

  it('of several processes claiming one stale run at once, exactly one wins and the others name it (5 trials)', async () => {
    for (let trial = 0; trial < 5; trial++) {
      writeOwner({ ...identify(process.pid), pid: deadPid(), since: 'stale' });
      const gate = join(stateDir, `gate-${trial}`);
      let answered = 0;
      const outputs = await Promise.all(
        Array.from({ length: 4 }, () =>
          new Promise<string>((resolve) => {
            const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/claim-runner.ts'), stateDir, RUN, gate]);
            let out = '';
            child.stdout.on('data', (chunk: Buffer) => {
              out += chunk.toString();
              if (out.endsWith('\n') && ++answered === 4) writeFileSync(gate, ''); // everyone has tried: let the winner go
            });
            child.on('close', () => resolve(out.trim()));
          }),
        ),
      );
      expect(outputs.filter((o) => o === 'won'), outputs.join('\n')).toHaveLength(1);
      for (const lost of outputs.filter((o) => o !== 'won')) expect(lost).toMatch(/^lost: run \S+ is still running \(pid \d+ on host /);
      expect(existsSync(ownerFile())).toBe(false);
    }
  }, 120_000);
});
