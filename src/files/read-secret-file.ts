// A secret input's `fromFile`: read like any user file (size limit, UTF-8, no devices or directories), except that a
// named pipe is allowed: a secret manager's agent may hand the token over that way so it never lands on disk.

import { open, stat } from 'node:fs/promises';
import { decodeUserText } from './decode-text.js';
import { describeReadError, MAX_USER_FILE_BYTES, tryReadUserText } from './read-user-file.js';

/** The file's text; throws an Error whose message says in a few words why it was not read (the caller names the file). */
export async function readSecretText(path: string, maxBytes = MAX_USER_FILE_BYTES): Promise<string> {
  let isPipe: boolean;
  try {
    isPipe = (await stat(path)).isFIFO();
  } catch (error) {
    throw new Error(describeReadError(error), { cause: error });
  }
  const result = isPipe ? await readPipe(path, maxBytes) : await tryReadUserText(path, { maxBytes });
  if ('problem' in result) throw new Error(result.problem, { cause: 'cause' in result ? result.cause : undefined });
  return result.text;
}

/** Reads a pipe to its end, refusing more than `maxBytes` (a pipe has no size to check up front). */
async function readPipe(path: string, maxBytes: number): Promise<{ text: string } | { problem: string }> {
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return { problem: `more than the ${maxBytes / 1024 / 1024} MiB limit for input files came through the pipe` };
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return decodeUserText(Buffer.concat(chunks, length));
  } finally {
    await handle.close();
  }
}
