import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { RunbookError, UsageError, formatDiagnostic } from '../../src/errors.js';
import { loadFleetFile, loadFleetText, resolveFleet, parseLabelSelector, type FleetFileSpec, type LabelSelector } from '../../src/fleet/index.js';
import { readKubeconfigContexts } from '../../src/fleet/kubeconfig.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'opsbook-fleet-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const kubeconfig = (contexts: string[], current?: string) =>
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: t}}]',
    `contexts: [${contexts.map((n) => `{name: ${n}, context: {cluster: c, user: u}}`).join(', ')}]`,
    ...(current ? [`current-context: ${current}`] : []),
  ].join('\n');

async function problems(text: string): Promise<string[]> {
  const file = path.join(dir, 'fleet.yaml');
  try {
    await loadFleetText(text, file, { env: {}, homeDir: dir });
  } catch (error) {
    if (!(error instanceof RunbookError)) throw error;
    return error.diagnostics.map((d) => formatDiagnostic(d).replace(`${file}:`, ''));
  }
  return [];
}

const selector = (text: string): LabelSelector => (parseLabelSelector(text) as { selector: LabelSelector }).selector;

describe('fleet file', () => {
  it('reports every problem in one pass, each at line:col', async () => {
    writeFileSync(path.join(dir, 'kc'), kubeconfig(['prod-eu', 'prod-us']));
    const text = [
      'apiVersion: opsbook.dev/v1', // 1
      'kind: Fleet', // 2
      'metadata: {name: prod}', // 3
      'spec:', // 4
      '  clusters:', // 5
      '    - name: eu', // 6
      '      kubeconfig: kc', // 7
      '      context: prod-eu', // 8
      '      labels: {env: prod}', // 9
      '    - name: us', // 10
      '      kubeconfig: kc', // 11
      '      context: prod-us', // 12
      '      deadline: soon', // 13
      '      labls: {env: prod}', // 14
      '  strategy:', // 15
      '    waves: [1, 10, 0%]', // 16
      '    maxParallel: 0', // 17
    ].join('\n');
    expect(await problems(text)).toEqual([
      "13:17: spec.clusters[1].deadline: must be a duration like 90s or 1h30m, got 'soon'",
      "14:7: spec.clusters[1]: unknown key 'labls' (did you mean 'labels'?)",
      '16:20: spec.strategy.waves[2]: must be a count ≥ 1 or a percentage in (0%, 100%] (got "0%")',
      '17:18: spec.strategy.maxParallel: must be ≥ 1, got 0',
    ]);
  });

  it('then the cross-field rules: duplicate names, a bad selector, waves out of range, no way to reach a cluster', async () => {
    writeFileSync(path.join(dir, 'kc'), kubeconfig(['a']));
    const text = [
      'apiVersion: opsbook.dev/v1',
      'kind: Fleet',
      'metadata: {name: prod}',
      'spec:',
      '  selector: "env in (prod"',
      '  clusters:',
      '    - {name: one, kubeconfig: kc, context: a}',
      '    - {name: one, kubeconfig: kc, context: a}',
      '    - {name: two}',
      '  strategy: {waves: [1, 150%]}',
    ].join('\n');
    expect(await problems(text)).toEqual([
      '5:13: spec.selector: invalid label selector: "env in (prod": expected key, !key, key=value, key!=value, key in (…) or key notin (…)',
      '8:14: spec.clusters[1].name: duplicate cluster name "one" (already spec.clusters[0])',
      '9:7: spec.clusters[2]: needs a kubeconfig, a context or both',
      '10:25: spec.strategy.waves[1]: must be a count ≥ 1 or a percentage in (0%, 100%] (got "150%")',
    ]);
  });

  it('then every listed kubeconfig is read and its context looked up, naming the entry', async () => {
    writeFileSync(path.join(dir, 'kc'), kubeconfig(['prod-eu']));
    const text = [
      'apiVersion: opsbook.dev/v1',
      'kind: Fleet',
      'metadata: {name: prod}',
      'spec:',
      '  clusters:',
      '    - name: eu',
      '      kubeconfig: kc',
      '      context: prod-eu',
      '    - name: us',
      '      kubeconfig: kc',
      '      context: prod-uss',
      '    - name: ap',
      '      kubeconfig: missing/kc',
    ].join('\n');
    expect(await problems(text)).toEqual([
      `11:16: spec.clusters[1].context: kubeconfig ${path.join(dir, 'kc')} has no context "prod-uss" (known: prod-eu)`,
      `13:19: spec.clusters[2].kubeconfig: cannot read kubeconfig ${path.join(dir, 'missing/kc')}: no such file`,
    ]);
  });

  it('an empty file and a wrong kind are refused with positions', async () => {
    expect(await problems('')).toEqual([expect.stringMatching(/^1:1: \(root\): the file is empty/)]);
    expect(await problems('apiVersion: opsbook.dev/v1\nkind: Runbook\nmetadata: {name: x}\nspec: {}\n')).toEqual([
      expect.stringMatching(/^2:7: kind: /),
      expect.stringMatching(/^4:7: spec: names no cluster/),
    ]);
  });

  it('refuses what is not a small text file, as for runbooks: a directory, a FIFO (without waiting), binary', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    writeFileSync(path.join(dir, 'binary'), Buffer.from([0x61, 0, 0x62]));
    const options = { env: {}, homeDir: dir };
    await expect(loadFleetFile(dir, options)).rejects.toThrow(`cannot read ${dir}: is a directory`);
    await expect(loadFleetFile(fifo, options)).rejects.toThrow(`cannot read ${fifo}: is a named pipe (FIFO), not a regular file`);
    await expect(loadFleetFile(path.join(dir, 'binary'), options)).rejects.toThrow(UsageError);
  });

  it('normalises: paths relative to the file, defaults filled, origins at file:line:col', async () => {
    writeFileSync(path.join(dir, 'kc'), kubeconfig(['a'], 'a'));
    const file = path.join(dir, 'fleet.yaml');
    const spec = await loadFleetText('apiVersion: opsbook.dev/v1\nkind: Fleet\nmetadata: {name: prod}\nspec:\n  clusters:\n    - {name: one, kubeconfig: kc, inputs: {nodes: [w-0]}, deadline: 10m}\n', file, { env: {}, homeDir: dir });
    expect(spec.clusters).toEqual([
      { name: 'one', connection: { kind: 'kubeconfig', kubeconfig: path.join(dir, 'kc') }, labels: {}, inputs: { nodes: ['w-0'] }, deadlineMs: 600_000, origin: `${file}:6:7` },
    ]);
    expect(spec.strategy).toEqual({ waves: [{ percent: 100 }], maxParallel: 10, maxFailures: { count: 0 }, pause: { kind: 'none' } });
  });
});

describe('resolving a fleet: discovery, selectors, order', () => {
  const base = (over: Partial<FleetFileSpec> = {}): FleetFileSpec => ({
    name: 'prod',
    file: path.join(dir, 'fleet.yaml'),
    clusters: [],
    discover: {},
    selector: [],
    strategy: { waves: [{ percent: 100 }], maxParallel: 10, maxFailures: { count: 0 }, pause: { kind: 'none' } },
    ...over,
  });
  const options = (over: Partial<Parameters<typeof resolveFleet>[1]> = {}) => ({
    selector: [],
    lookup: { env: {}, homeDir: dir },
    readContexts: readKubeconfigContexts,
    openManagement: async () => {
      throw new Error('no management cluster here');
    },
    ...over,
  });

  it('expands a context glob over a kubeconfig and filters with both selectors', async () => {
    const kc = path.join(dir, 'kc');
    writeFileSync(kc, kubeconfig(['prod-eu', 'prod-us', 'staging-eu']));
    const spec = base({ discover: { contexts: { kubeconfig: kc, match: '*', labels: { env: 'prod' }, origin: 'here' } } });
    const all = await resolveFleet(spec, options());
    expect(all.clusters.map((c) => c.name)).toEqual(['prod-eu', 'prod-us', 'staging-eu']);
    const glob = await resolveFleet(spec, options({ contexts: 'prod-*' }));
    expect(glob.clusters.map((c) => [c.name, c.connection])).toEqual([
      ['prod-eu', { kind: 'kubeconfig', kubeconfig: kc, context: 'prod-eu' }],
      ['prod-us', { kind: 'kubeconfig', kubeconfig: kc, context: 'prod-us' }],
    ]);
    await expect(resolveFleet(spec, options({ contexts: 'prod-*', selector: selector('env!=prod') }))).rejects.toThrow('the fleet prod has no cluster matching the selector (of 2)');
  });

  it('orders by a label (numbers numerically, clusters without it last) and refuses a discovered duplicate', async () => {
    const cluster = (name: string, ring?: string) => ({ name, connection: { kind: 'kubeconfig' as const, context: name }, labels: (ring ? { ring } : {}) as Record<string, string>, inputs: {}, origin: `listed ${name}` });
    const spec = base({ clusters: [cluster('x'), cluster('a', '10'), cluster('b', '2'), cluster('c', '1')], strategy: { ...base().strategy, orderByLabel: 'ring' } });
    expect((await resolveFleet(spec, options())).clusters.map((c) => c.name)).toEqual(['c', 'b', 'a', 'x']);
    const kc = path.join(dir, 'kc');
    writeFileSync(kc, kubeconfig(['a']));
    await expect(resolveFleet({ ...spec, discover: { contexts: { kubeconfig: kc, match: '*', labels: {}, origin: 'o' } } }, options())).rejects.toThrow(
      `duplicate cluster name "a": listed a and context "a" of ${kc}`,
    );
  });

  it('a management cluster that cannot be reached is a usage error naming the entry', async () => {
    const spec = base({ discover: { clusterApi: { origin: 'fleet.yaml:7:5' } } });
    await expect(resolveFleet(spec, options())).rejects.toThrow('fleet.yaml:7:5: cannot list the Cluster API clusters of the management cluster: no management cluster here');
  });
});
