// The shared reader refuses what would hang, exhaust memory or print garbage, and reads ordinary text unchanged.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUserText } from '../../src/files/decode-text.js';
import { MAX_USER_FILE_BYTES, readUserText, tryReadUserText } from '../../src/files/read-user-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'opsbook-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('tryReadUserText', () => {
  it('reads UTF-8 text, dropping a UTF-8 BOM', async () => {
    expect(await tryReadUserText(file('plain.yaml', 'name: ü\n'))).toEqual({ text: 'name: ü\n' });
    expect(await tryReadUserText(file('bom.yaml', '\uFEFFname: x\n'))).toEqual({ text: 'name: x\n' });
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await tryReadUserText(fifo)).toEqual({ problem: 'is a named pipe (FIFO), not a regular file' });
  });

  it('refuses devices and directories', async () => {
    expect(await tryReadUserText('/dev/zero')).toEqual({ problem: 'is a device, not a regular file' });
    expect(await tryReadUserText(dir)).toEqual({ problem: 'is a directory, not a regular file' });
  });

  it('refuses a file over the limit before reading it', async () => {
    const big = file('big.yaml', '');
    truncateSync(big, MAX_USER_FILE_BYTES + 1);
    expect(await tryReadUserText(big)).toEqual({ problem: 'file is 4 MiB, over the 4 MiB limit for input files' });
    expect(await tryReadUserText(file('small.yaml', 'x'.repeat(11)), { maxBytes: 10 })).toEqual({ problem: 'file is 11 bytes, over the 10 bytes limit for input files' });
    expect(await tryReadUserText(file('exact.yaml', 'x'.repeat(10)), { maxBytes: 10 })).toEqual({ text: 'x'.repeat(10) });
  });

  it('says why a file cannot be opened', async () => {
    expect(await tryReadUserText(path.join(dir, 'missing.yaml'))).toMatchObject({ problem: 'no such file' });
    await expect(readUserText(path.join(dir, 'missing.yaml'))).rejects.toThrow(`cannot read ${path.join(dir, 'missing.yaml')}: no such file`);
  });
});

describe('decodeUserText', () => {
  const utf16le = (text: string) => Buffer.from(text, 'utf16le');
  it('names UTF-16 and UTF-32, with or without a BOM', () => {
    expect(decodeUserText(Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le('a: 1\n')]))).toEqual({ problem: 'file is UTF-16 encoded; save it as UTF-8' });
    expect(decodeUserText(utf16le('apiVersion: x\n'))).toEqual({ problem: 'file is UTF-16 encoded; save it as UTF-8' });
    expect(decodeUserText(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]))).toEqual({ problem: 'file is UTF-32 encoded; save it as UTF-8' });
  });

  it('refuses binary and invalid UTF-8', () => {
    expect(decodeUserText(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0]))).toEqual({ problem: 'file looks binary (it contains NUL bytes); expected UTF-8 text' });
    expect(decodeUserText(Buffer.from([0x61, 0xe9, 0x62]))).toEqual({ problem: 'file is not valid UTF-8 text; save it as UTF-8' });
  });
});
