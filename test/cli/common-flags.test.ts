// Every command takes the common flags (one flag set for a CI wrapper) and checks --output's value.

import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../src/cli/exit.js';
import { createProgram } from '../../src/cli/program.js';

const commonFlags = [
  '--kubeconfig', 'kc.yaml', '--context', 'second', '--state-dir', 'state', '--set', 'a=1', '--values', 'values.yaml',
  '--concurrency', '2', '--output', 'json', '--no-color', '--approve', 'gate', '--as', 'alice', '--as-group', 'sre',
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
      concurrency: 2, output: 'json', color: false, approve: ['gate'], as: 'alice', asGroup: ['sre'],
    });
  });

  // sim serve serves a cluster instead of acting on one: there is no identity of the caller's to impersonate.
  const servesACluster = new Set(['sim serve']);
  const leaves = (command: Command, prefix = ''): [string, Command][] =>
    (command.commands as Command[]).flatMap((sub) => (sub.commands.length > 0 ? leaves(sub, `${prefix}${sub.name()} `) : [[`${prefix}${sub.name()}`, sub] as [string, Command]]));

  it('every command in opsbook --help takes kubectl\'s --as and --as-group', () => {
    const all = leaves(createProgram());
    expect(all.map(([name]) => name)).toContain('rehearse');
    const missing = all.filter(([name, command]) => !servesACluster.has(name) && !['--as', '--as-group'].every((flag) => command.options.some((o) => o.long === flag)));
    expect(missing.map(([name]) => name)).toEqual([]);
  });

  it('rehearse parses --as and repeated --as-group', async () => {
    const r = await parse(['rehearse', 'a.yaml', '--scenario', 's.yaml', '--as', 'alice', '--as-group', 'sre', '--as-group', 'ops']);
    expect(r.stderr).toBe('');
    expect(r.flags).toMatchObject({ as: 'alice', asGroup: ['sre', 'ops'] });
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
