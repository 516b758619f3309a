import { describe, expect, it } from 'vitest';
import { formatDiagnostic, RunbookError } from '../../src/errors.js';
import { loadRunbookText, readValuesFile, resolveInputs } from '../../src/runbook/index.js';
import { createTestRegistry } from './registry.js';

const text = `apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: inputs }
spec:
  inputs:
    name: { type: string }
    count: { type: integer, default: 1 }
    ratio: { type: number, default: 0.5 }
    dry: { type: boolean, default: false }
    window: { type: duration, default: 1h }
    nodes: { type: array, items: { type: string }, default: [] }
    ports: { type: array, items: { type: integer }, default: [80] }
    labels: { type: object, default: {} }
    token: { type: secret, fromEnv: OFFLINE_TOKEN }
    key: { type: secret, fromFile: /secrets/key }
  steps:
    - { id: a, run: echo }
`;
const runbook = loadRunbookText(text, 'inputs.yaml', { registry: createTestRegistry() });
const env = { OFFLINE_TOKEN: 'tok-123' };
const readFile = async (path: string): Promise<string> => {
  if (path === '/secrets/key') return 'key-456\n';
  throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
};

async function problems(options: Parameters<typeof resolveInputs>[1]): Promise<string[]> {
  try {
    await resolveInputs(runbook, options);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(RunbookError);
    return (error as RunbookError).diagnostics.map(formatDiagnostic);
  }
}

describe('resolveInputs', () => {
  it('types --set values by the declared type and fills defaults', async () => {
    const resolved = await resolveInputs(runbook, {
      set: ['name=prod', 'count=3', 'ratio=1.25', 'dry=yes', 'window=90s', 'nodes=w-0, w-1', 'ports=[1,2]', 'labels={"a":"b"}'],
      env, readFile,
    });
    expect(resolved.values).toEqual({
      name: 'prod', count: 3, ratio: 1.25, dry: true, window: '90s', nodes: ['w-0', 'w-1'], ports: [1, 2], labels: { a: 'b' },
      token: 'tok-123', key: 'key-456',
    });
    expect(resolved.secretNames).toEqual(['token', 'key']);
    expect(resolved.secretValues).toEqual(['tok-123', 'key-456']);
  });

  it('uses --values below --set, and a --values file can carry a secret', async () => {
    const resolved = await resolveInputs(runbook, {
      set: ['count=7'], values: { name: 'v', count: 2, nodes: ['a'], ports: [443], token: 'from-values' }, env, readFile,
    });
    expect(resolved.values).toMatchObject({ name: 'v', count: 7, nodes: ['a'], ports: [443], token: 'from-values' });
    expect(resolved.secretValues).toContain('from-values');
  });

  it('refuses a secret on the command line (--set), naming where it may come from instead', async () => {
    expect(await problems({ set: ['name=n', 'token=from-flag', 'key=from-flag'], env, readFile })).toEqual([
      'inputs.yaml:14:5: spec.inputs.token: --set cannot carry a secret (it would stay in the shell history and show in the process list): ' +
        'set $OFFLINE_TOKEN, put it in a --values FILE, or leave it out on a terminal to be asked for it',
      'inputs.yaml:15:5: spec.inputs.key: --set cannot carry a secret (it would stay in the shell history and show in the process list): ' +
        'write it to /secrets/key, put it in a --values FILE, or leave it out on a terminal to be asked for it',
    ]);
  });

  it('refuses a secret shorter than the minimum (it could not be masked), telling its length, never its value', async () => {
    const lines = await problems({ set: ['name=n'], env: { OFFLINE_TOKEN: 'x' }, values: { key: 'abc' }, valuesFile: 'v.yaml', readFile });
    expect(lines).toEqual([
      'inputs.yaml:14:5: spec.inputs.token: $OFFLINE_TOKEN: a secret must be at least 6 characters long (got 1): a shorter value cannot be masked in output and journals',
      'inputs.yaml:15:5: spec.inputs.key: v.yaml: a secret must be at least 6 characters long (got 3): a shorter value cannot be masked in output and journals',
    ]);
    // An empty secret reveals nothing: it is allowed (e.g. "no token").
    expect((await resolveInputs(runbook, { set: ['name=n'], env: { OFFLINE_TOKEN: '' }, readFile })).values.token).toBe('');
  });

  it('reports every missing or mistyped input at its declaration, before anything runs', async () => {
    expect(await problems({ set: ['count=three', 'dry=maybe', 'ports=1,x', 'window=5 minutes', 'labels=[1]', 'nmae=x', 'bad'], env: {}, readFile: async () => { throw new Error('EACCES'); } })).toEqual([
      "inputs.yaml:1:1: --set: unknown input 'nmae' (did you mean 'name'?)",
      "inputs.yaml:1:1: --set: expected name=value, got an argument without '=' (not shown: it may be a secret)",
      "inputs.yaml:6:5: spec.inputs.name: input 'name' (string) is required and has no value: set --set name=... or --values FILE",
      "inputs.yaml:7:5: spec.inputs.count: --set count: must be an integer, got 'three'",
      "inputs.yaml:9:5: spec.inputs.dry: --set dry: must be true or false, got 'maybe'",
      "inputs.yaml:10:5: spec.inputs.window: --set window: must be a duration like 90s or 1h30m, got '5 minutes'",
      "inputs.yaml:12:5: spec.inputs.ports: --set ports: item 1: must be an integer, got 'x'",
      'inputs.yaml:13:5: spec.inputs.labels: --set labels: must be a map, got a list',
      "inputs.yaml:14:5: spec.inputs.token: input 'token' (secret) is required and has no value: set $OFFLINE_TOKEN, put it in a --values FILE, or run on a terminal to be asked for it",
      'inputs.yaml:15:5: spec.inputs.key: cannot read /secrets/key: EACCES',
    ].sort(byPosition));
  });

  it('checks --values entries against the type and never echoes a secret', async () => {
    const lines = await problems({ values: { name: 5, count: 1.5, token: 42, extra: 1 }, valuesFile: 'v.yaml', env, readFile });
    expect(lines).toEqual([
      "inputs.yaml:1:1: spec.inputs: v.yaml: unknown input 'extra' (inputs: name, count, ratio, dry, window, nodes, ports, labels, token, key)",
      'inputs.yaml:6:5: spec.inputs.name: v.yaml: must be a string, got 5 (quote it)',
      'inputs.yaml:7:5: spec.inputs.count: v.yaml: must be an integer, got 1.5',
      'inputs.yaml:14:5: spec.inputs.token: v.yaml: is not a valid secret',
    ]);
  });

  it('reads --values files as YAML or JSON', async () => {
    const files: Record<string, string> = { 'a.yaml': 'name: x\nnodes: [a, b]\n', 'b.json': '{"count": 3}', 'c.yaml': '- 1\n' };
    const read = async (p: string): Promise<string> => files[p]!;
    expect(await readValuesFile('a.yaml', read)).toEqual({ name: 'x', nodes: ['a', 'b'] });
    expect(await readValuesFile('b.json', read)).toEqual({ count: 3 });
    await expect(readValuesFile('c.yaml', read)).rejects.toThrow(RunbookError);
  });
});

function byPosition(a: string, b: string): number {
  const pos = (s: string): number[] => s.split(':').slice(1, 3).map(Number);
  const [la, ca] = pos(a);
  const [lb, cb] = pos(b);
  return la! - lb! || ca! - cb!;
}

describe('enum inputs', () => {
  const enumRunbook = loadRunbookText(`apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: enums }
spec:
  inputs:
    identity: { type: string, enum: [inventory, machines], default: inventory }
    kinds: { type: array, items: { type: string }, enum: [client, server], default: [client] }
  steps:
    - { id: a, run: echo }
`, 'enums.yaml', { registry: createTestRegistry() });

  it('accepts listed values and refuses others with a hint', async () => {
    expect((await resolveInputs(enumRunbook, { set: ['identity=machines', 'kinds=client,server'] })).values).toEqual({ identity: 'machines', kinds: ['client', 'server'] });
    await expect(resolveInputs(enumRunbook, { set: ['identity=machine', 'kinds=[\"client\",\"bogus\"]'] })).rejects.toMatchObject({
      diagnostics: [
        { line: 6, col: 5, path: 'spec.inputs.identity', message: `--set identity: must be one of "inventory", "machines", got 'machine' (did you mean 'machines'?)` },
        { line: 7, col: 5, path: 'spec.inputs.kinds', message: `--set kinds: must be one of "client", "server", got 'bogus'` },
      ],
    });
  });

  it('checks the default against the enum at validation', () => {
    expect(() => loadRunbookText(`apiVersion: opsbook.dev/v1
kind: Runbook
metadata: { name: enums }
spec:
  inputs:
    identity: { type: string, enum: [inventory, machines], default: nodes }
  steps: [{ id: a, run: echo }]
`, 'e.yaml', { registry: createTestRegistry() })).toThrow(expect.objectContaining({
      diagnostics: [{ file: 'e.yaml', line: 6, col: 69, path: 'spec.inputs.identity.default', message: `must be one of "inventory", "machines", got 'nodes'` }],
    }));
  });
});
