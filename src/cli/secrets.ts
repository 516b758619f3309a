// Secret inputs that no env var or file provides are asked for on a terminal (never echoed, never stored).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';
import type { Runbook } from '../runbook/types.js';

/** Reads a line without echoing it (the terminal's own echo is muted while typing). */
function readHidden(stdin: Readable, stderr: Writable, question: string): Promise<string> {
  let muted = false;
  // readline echoes typed characters through its output; muting that output hides the secret.
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: stdin, output, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      muted = false;
      rl.close();
      stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

/** Names of secret inputs with no value from their declared env var or file, and none given with --set/--values. */
export function findMissingSecrets(runbook: Runbook, env: NodeJS.ProcessEnv, given: Set<string>, cwd: string): string[] {
  return Object.values(runbook.inputs)
    .filter((input) => input.type === 'secret' && input.default === undefined && !given.has(input.name))
    .filter((input) => !(input.fromEnv && env[input.fromEnv] !== undefined))
    .filter((input) => !(input.fromFile && existsSync(path.resolve(cwd, input.fromFile))))
    .map((input) => input.name);
}

/** Prompts for each missing secret on a terminal; returns the values typed (empty when not on a terminal). */
export async function promptSecrets(
  names: string[],
  io: { stdin: Readable & { isTTY?: boolean }; stderr: Writable },
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  if (!io.stdin.isTTY) return values;
  for (const name of names) values[name] = await readHidden(io.stdin, io.stderr, `secret input ${name}: `);
  return values;
}
