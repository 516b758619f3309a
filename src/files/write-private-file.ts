// Writes a file only its owner may read, whatever was there before: writeFile's mode applies to a new file only, so a
// 0644 leftover would keep its mode; a fresh 0600 file renamed over the path does not.

import { rename, rm, writeFile } from 'node:fs/promises';

export async function writePrivateFile(file: string, text: string): Promise<void> {
  const fresh = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(fresh, text, { mode: 0o600, flag: 'wx' });
    await rename(fresh, file);
  } catch (error) {
    await rm(fresh, { force: true });
    throw error;
  }
}
