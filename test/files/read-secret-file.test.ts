// Secret files: the user-file rules (size, UTF-8, no directories or devices), but a pipe is read, for `<(pass show …)`.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSecretText } from '../../src/files/read-secret-file.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'opsbook-secret-file-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readSecretText', () => {
  it('reads a regular file, and refuses a directory, a device, a missing file and one over the limit', async () => {
    const file = path.join(dir, 'token');
    writeFileSync(file, 'line one\nline two\n');
    expect(await readSecretText(file)).toBe('line one\nline two\n');
    await expect(readSecretText(dir)).rejects.toThrow('is a directory');
    await expect(readSecretText('/dev/zero')).rejects.toThrow('is a device');
    await expect(readSecretText(path.join(dir, 'nope'))).rejects.toThrow('no such file');
    await expect(readSecretText(file, 4)).rejects.toThrow(/over the 4 bytes limit/);
  });

  it('reads a pipe to its end (process substitution), with the same size limit', async () => {
    const fifo = path.join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `printf 'pem-body-%s\\n' 1 2 > '${fifo}'`]);
    const written = new Promise((resolve) => writer.on('exit', resolve));
    expect(await readSecretText(fifo)).toBe('pem-body-1\npem-body-2\n');
    await written;
    const big = spawn('sh', ['-c', `head -c 100000 /dev/zero | tr '\\0' a > '${fifo}'`]);
    await expect(readSecretText(fifo, 1000)).rejects.toThrow(/came through the pipe/);
    big.kill();
  });
});
