// writePrivateFile: owner-only whatever was there before (a leftover 0644 file keeps no reader), and no temp file left behind.

import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writePrivateFile } from '../../src/files/write-private-file.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(path.join(tmpdir(), 'private-file-')));

describe('writePrivateFile', () => {
  it('replaces a world-readable leftover with an owner-only file', async () => {
    const file = path.join(fresh(), 'connection.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o644);
    await writePrivateFile(file, 'token: t0k3n\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('token: t0k3n\n');
    expect(readdirSync(dir!)).toEqual(['connection.json']);
  });

  it('leaves no temp file when the write fails', async () => {
    const file = path.join(fresh(), 'missing-dir', 'kubeconfig');
    await expect(writePrivateFile(file, 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir!)).toEqual([]);
  });

  it("the simulation's kubeconfig (it carries the admin token) is owner-only over a leftover too", async () => {
    const file = path.join(fresh(), 'kubeconfig');
    writeFileSync(file, 'old');
    chmodSync(file, 0o644);
    await writeKubeconfig(file, { server: 'https://127.0.0.1:6443', caPem: 'pem', token: 'admin-t0k3n' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('admin-t0k3n');
  });
});
