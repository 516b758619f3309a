// Every command takes the common flags (one flag set for a CI wrapper) and checks --output's value.

import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit.js';
import { createProgram } from '../../src/cli/program.js';

const commonFlags = [
  '--kubeconfig', 'kc.yaml', '--context', 'second', '--state-dir', 'state', '--set', 'a=1', '--values', 'values.yaml',
  '--concurrency', '2', '--output', 'json', '--no-color', '--approve', 'gate',
];

// Each command with its positional arguments.
const commands: [string, string[]][] = [
  ['validate', ['a.yaml']],
  ['plan', ['a.yaml']],
  ['run', ['a.yaml']],
  ['resume', ['20260101-000000-000-abcdef']],
  ['runs', []],
  ['steps', []],
  ['graph', ['a.yaml']],
  ['schema', []],
];

/** Parses argv with the real flag definitions; the command's action only records the flags it was given. */
async function parse(argv: string[]): Promise<{ flags?: Record<string, unknown>; exitCode: number; stderr: string }> {
  const program = createProgram();
  let stderr = '';
  let flags: Record<string, unknown> | undefined;
  for (const command of program.commands as Command[]) {
    command.configureOutput({ writeErr: (text) => void (stderr += text), writeOut: () => {} });
    command.action((...args: unknown[]) => void (flags = (args.at(-1) as Command).opts()));
  }
  try {
    await program.parseAsync(['node', 'opsbook', ...argv]);
    return { flags, exitCode: 0, stderr };
  } catch (error) {
    return { flags, exitCode: exitCodeFor(error), stderr };
  }
}

describe('common flags', () => {
  it.each(commands)('%s accepts every common flag', async (name, args) => {
    const r = await parse([name, ...args, ...commonFlags]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.flags).toMatchObject({
      kubeconfig: 'kc.yaml', context: 'second', stateDir: 'state', set: ['a=1'], values: 'values.yaml',
      concurrency: 2, output: 'json', color: false, approve: ['gate'],
    });
  });

  it.each(commands)('%s refuses --output yaml with exit 2', async (name, args) => {
    const r = await parse([name, ...args, '--output', 'yaml']);
    expect(r.exitCode).toBe(2);
    expect(r.flags).toBeUndefined();
    expect(r.stderr).toContain("argument 'yaml' is invalid. Allowed choices are tty, plain, json.");
  });

  it('still refuses an unknown option with exit 2', async () => {
    const r = await parse(['plan', 'a.yaml', '--colour']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown option '--colour'");
  });
});
