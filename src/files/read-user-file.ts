// The one way opsbook reads a file the user named (runbook, --values, scenario, input fromFile): a FIFO, device or
// directory is refused at once instead of hanging or reading forever, and so is a file over the size limit, which
// would otherwise take ~90× its size in memory to parse.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { decodeUserText } from './decode-text.js';

/** Largest file opsbook reads: 4 MiB, ~6× a 10,000-step runbook (bench/engine generates one of 680 KiB). */
export const MAX_USER_FILE_BYTES = 4 * 1024 * 1024;

export interface ReadUserFileOptions {
  /** @default MAX_USER_FILE_BYTES */
  maxBytes?: number;
}

/** The text, or why the file was not read (a few words, for `cannot read PATH: …`). */
export type UserFileText = { text: string } | { problem: string; cause?: unknown };

// O_NONBLOCK: opening a FIFO swapped in for the file does not wait for a writer (fstat below then refuses it).
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/** Reads a user's UTF-8 text file; never throws: problems come back as `{ problem }`. */
export async function tryReadUserText(path: string, options: ReadUserFileOptions = {}): Promise<UserFileText> {
  const maxBytes = options.maxBytes ?? MAX_USER_FILE_BYTES;
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    return { problem: describeReadError(error), cause: error };
  }
  try {
    // fstat of the opened file, not stat of the path: what was checked is what is read.
    const stat = await handle.stat();
    const kind = describeNonRegular(stat);
    if (kind) return { problem: `${kind}, not a regular file` };
    if (stat.size > maxBytes) return { problem: tooLarge(maxBytes, stat.size) };
    // One byte more than allowed tells a file that grew past the limit since the fstat.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { problem: tooLarge(maxBytes) };
      if (length === buffer.length) break;
    }
    return decodeUserText(buffer.subarray(0, length));
  } catch (error) {
    return { problem: describeReadError(error), cause: error };
  } finally {
    await handle.close();
  }
}

/** Same as tryReadUserText, throwing a UsageError (exit 2) `cannot read PATH: …`. */
export async function readUserText(path: string, options: ReadUserFileOptions = {}): Promise<string> {
  const result = await tryReadUserText(path, options);
  if ('problem' in result) throw new UsageError(`cannot read ${path}: ${result.problem}`, { cause: result.cause });
  return result.text;
}

function describeNonRegular(stat: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'is a directory';
  if (stat.isFIFO()) return 'is a named pipe (FIFO)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'is a device';
  if (stat.isSocket()) return 'is a socket';
  return 'is a special file';
}

function tooLarge(maxBytes: number, size?: number): string {
  return `file is ${size === undefined ? 'over' : `${formatSize(size)}, over`} the ${formatSize(maxBytes)} limit for input files`;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
}

/** Why a file could not be opened or read, in a few words (no such file, is a directory, permission denied). */
export function describeReadError(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENXIO') return 'is a socket, not a regular file';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  return (error as Error).message;
}
