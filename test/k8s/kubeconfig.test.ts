import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { createKubeClient, loadKubeConfig } from '../../src/k8s/client.js';
import { mergeFirstWins, selectKubeconfigSource } from '../../src/k8s/kubeconfig.js';

function kubeconfig(opts: { cluster: string; server: string; user: string; context: string; current?: string; namespace?: string; caFile?: string }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${opts.cluster}`,
    '  cluster:',
    `    server: ${opts.server}`,
    ...(opts.caFile ? [`    certificate-authority: ${opts.caFile}`] : []),
    'users:',
    `- name: ${opts.user}`,
    '  user:',
    `    token: token-of-${opts.user}`,
    'contexts:',
    `- name: ${opts.context}`,
    '  context:',
    `    cluster: ${opts.cluster}`,
    `    user: ${opts.user}`,
    ...(opts.namespace ? [`    namespace: ${opts.namespace}`] : []),
    ...(opts.current ? [`current-context: ${opts.current}`] : []),
    '',
  ].join('\n');
}

describe('selectKubeconfigSource (kubectl precedence)', () => {
  it('prefers text, then the explicit path, then $KUBECONFIG, then ~/.kube/config', () => {
    const env = { KUBECONFIG: `/a${delimiter}/b${delimiter}${delimiter}/a` };
    expect(selectKubeconfigSource({ kubeconfig: 'x', kubeconfigPath: '/p', env, homeDir: '/h' })).toEqual({ kind: 'text', text: 'x' });
    expect(selectKubeconfigSource({ kubeconfigPath: '/p', env, homeDir: '/h' })).toEqual({ kind: 'files', paths: ['/p'], required: true });
    expect(selectKubeconfigSource({ env, homeDir: '/h' })).toEqual({ kind: 'files', paths: ['/a', '/b'], required: false });
    expect(selectKubeconfigSource({ env: {}, homeDir: '/h' })).toEqual({
      kind: 'files', paths: [join('/h', '.kube', 'config')], required: false,
    });
  });

  it('merges sections with the first definition winning', () => {
    const merged = mergeFirstWins([[{ name: 'a', v: 1 }, { name: 'b', v: 1 }], [{ name: 'a', v: 2 }, { name: 'c', v: 2 }]]);
    expect(merged).toEqual([{ name: 'a', v: 1 }, { name: 'b', v: 1 }, { name: 'c', v: 2 }]);
  });
});

describe('loadKubeConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'opsbook-kubeconfig-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges a $KUBECONFIG list like kubectl: first current-context, first cluster of a name, missing files skipped', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    await writeFile(a, kubeconfig({ cluster: 'c1', server: 'https://one:6443', user: 'u1', context: 'ctx1', current: 'ctx2' }));
    await writeFile(b, kubeconfig({ cluster: 'c1', server: 'https://ignored:6443', user: 'u2', context: 'ctx2', current: 'ctx1', namespace: 'ops' }));
    const env = { KUBECONFIG: [join(dir, 'missing.yaml'), a, b].join(delimiter) };
    const kc = await loadKubeConfig({ env, homeDir: dir });
    expect(kc.getCurrentContext()).toBe('ctx2');
    expect(kc.getCurrentCluster()?.server).toBe('https://one:6443');
    expect(kc.getCurrentUser()?.name).toBe('u2');
    const client = await createKubeClient({ env, homeDir: dir });
    expect(client.server).toBe('https://one:6443');
    expect(client.defaultNamespace).toBe('ops');
  });

  it('uses ~/.kube/config when nothing else is given, and resolves relative certificate paths against the file', async () => {
    await mkdir(join(dir, '.kube'));
    await writeFile(
      join(dir, '.kube', 'config'),
      kubeconfig({ cluster: 'c', server: 'https://home:6443', user: 'u', context: 'home', current: 'home', caFile: 'ca.crt' }),
    );
    const kc = await loadKubeConfig({ env: {}, homeDir: dir });
    expect(kc.getCurrentCluster()?.server).toBe('https://home:6443');
    expect(kc.getCurrentCluster()?.caFile).toBe(join(dir, '.kube', 'ca.crt'));
  });

  it('selects an explicit context and names the known ones when it does not exist', async () => {
    const text = kubeconfig({ cluster: 'c', server: 'https://x:6443', user: 'u', context: 'only', current: 'only' });
    const kc = await loadKubeConfig({ kubeconfig: text, context: 'only' });
    expect(kc.getCurrentContext()).toBe('only');
    await expect(loadKubeConfig({ kubeconfig: text, context: 'other' })).rejects.toThrow(/no context "other" \(known: only\)/);
  });

  it('fails clearly without any kubeconfig, with an unreadable explicit file, or with broken YAML', async () => {
    await expect(loadKubeConfig({ env: {}, homeDir: dir })).rejects.toThrow(UsageError);
    await expect(loadKubeConfig({ env: {}, homeDir: dir })).rejects.toThrow(/no kubeconfig found \(looked at .*\.kube/);
    await expect(loadKubeConfig({ kubeconfigPath: join(dir, 'nope.yaml') })).rejects.toThrow(/cannot read kubeconfig .*nope\.yaml/);
    await expect(loadKubeConfig({ kubeconfig: 'clusters: [' })).rejects.toThrow(/invalid kubeconfig/);
  });

  it('reads files through the injected reader', async () => {
    const seen: string[] = [];
    const text = kubeconfig({ cluster: 'c', server: 'https://injected:6443', user: 'u', context: 'x', current: 'x' });
    const kc = await loadKubeConfig({
      kubeconfigPath: '/virtual/config',
      readFile: async (path) => {
        seen.push(path);
        return text;
      },
    });
    expect(seen).toEqual(['/virtual/config']);
    expect(kc.getCurrentCluster()?.server).toBe('https://injected:6443');
  });
});
