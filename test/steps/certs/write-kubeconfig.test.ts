import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfigStep } from '../../../src/steps/certs/write-kubeconfig.js';
import { StepError } from '../../../src/errors.js';
import { VirtualClock } from '../../../src/time/clock.js';
import type { KubeClient } from '../../../src/k8s/types.js';
import { createTestContext, createPlanContext } from './context.js';

const NEW = 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "https://10.0.0.1:6443"}\nusers:\n- name: u\n  user: {token: s3cr3t-token}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsbook-wk-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function secretCluster(data: Record<string, string> | undefined): () => Promise<KubeClient> {
  const client = {
    server: 'https://admin',
    get: async (ref: { kind: string; name?: string; namespace?: string }) =>
      ref.kind === 'Secret' && ref.name === 'c1-kubeconfig' && data ? { apiVersion: 'v1', kind: 'Secret', metadata: { name: ref.name, namespace: ref.namespace }, data } : undefined,
  } as unknown as KubeClient;
  return async () => client;
}

describe('write-kubeconfig', () => {
  it('writes the decoded secret value atomically with mode 0600, keeping the old file, and never outputs credentials', async () => {
    const path = join(dir, 'a', 'kubeconfig');
    const params = writeKubeconfigStep.normalize!({ path, fromSecret: { name: 'c1-kubeconfig', namespace: 'cluster-c1' } });
    const kube = secretCluster({ value: Buffer.from(NEW).toString('base64') });
    const ctx = createTestContext({ clock: new VirtualClock({ start: Date.parse('2026-11-23T10:00:00Z') }), kube });
    const first = await writeKubeconfigStep.run(params, ctx);
    expect(first).toMatchObject({ path, changed: true, servers: ['https://10.0.0.1:6443'], currentContext: 'c' });
    expect(first.backup).toBeUndefined();
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    writeFileSync(path, 'apiVersion: v1\nkind: Config\nclusters: [{name: old, cluster: {server: "https://old"}}]\nusers: [{name: o}]\n');
    const old = readFileSync(path, 'utf8');
    const second = await writeKubeconfigStep.run(params, ctx);
    expect(second.backup).toBe(`${path}.bak-20261123T100000Z`);
    expect(readFileSync(second.backup!, 'utf8')).toBe(old);
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    expect(JSON.stringify([first, second, ctx.logs])).not.toContain('s3cr3t-token');

    const third = await writeKubeconfigStep.run(params, ctx);
    expect(third.changed).toBe(false);
    expect(readdirSync(join(dir, 'a')).filter((f) => f.includes('.bak-'))).toHaveLength(1);
  });

  it('refuses a value that is not a kubeconfig or a missing secret key, leaving the file alone', async () => {
    const path = join(dir, 'b.kubeconfig');
    writeFileSync(path, NEW);
    const bad = writeKubeconfigStep.run(
      writeKubeconfigStep.normalize!({ path, fromSecret: { name: 'c1-kubeconfig', namespace: 'x' } }),
      createTestContext({ kube: secretCluster({ value: Buffer.from('just: text\n').toString('base64') }) }),
    );
    await expect(bad).rejects.toThrow(/not a kubeconfig .* refusing to write it/);
    const missingKey = writeKubeconfigStep.run(
      writeKubeconfigStep.normalize!({ path, fromSecret: { name: 'c1-kubeconfig', namespace: 'x', key: 'admin.conf' } }),
      createTestContext({ kube: secretCluster({ value: 'eA==' }) }),
    );
    await expect(missingKey).rejects.toThrow(/has no key "admin.conf" \(keys: value\)/);
    const missing = await writeKubeconfigStep.run(
      writeKubeconfigStep.normalize!({ path, fromSecret: { name: 'other', namespace: 'x' } }),
      createTestContext({ kube: secretCluster({}) }),
    ).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StepError);
    expect(readFileSync(path, 'utf8')).toBe(NEW);
  });

  it('with check: checks the new file written beside the old one, and only then replaces it (keeping the .bak)', async () => {
    const path = join(dir, 'checked.kubeconfig');
    const OLD = 'apiVersion: v1\nkind: Config\nclusters: [{name: old, cluster: {server: "https://old"}}]\nusers: [{name: o}]\n';
    writeFileSync(path, OLD);
    const seen = join(dir, 'seen-by-check');
    // Records which file the check was given and what the destination held at that moment.
    const check = ['sh', '-c', `{ echo "$KUBECONFIG"; cat "$KUBECONFIG"; echo ---; cat '${path}'; } > '${seen}'`];
    const params = writeKubeconfigStep.normalize!({ path, fromSecret: { name: 'c1-kubeconfig', namespace: 'x' }, check });
    const ctx = createTestContext({ clock: new VirtualClock({ start: Date.parse('2026-11-23T10:00:00Z') }), kube: secretCluster({ value: Buffer.from(NEW).toString('base64') }) });
    const out = await writeKubeconfigStep.run(params, ctx);
    expect(out).toMatchObject({ changed: true, checked: true, backup: `${path}.bak-20261123T100000Z` });
    const [stagedPath, ...rest] = readFileSync(seen, 'utf8').split('\n');
    expect(stagedPath).toBe(`${path}.new-20261123T100000Z`);
    expect(rest.join('\n')).toBe(`${NEW}---\n${OLD}`);
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    expect(readFileSync(out.backup!, 'utf8')).toBe(OLD);
    expect(existsSync(stagedPath!)).toBe(false);
  });

  it('with check: a failing check leaves the old file in place, untouched, with no backup or staged file left', async () => {
    const sub = join(dir, 'failing');
    const path = join(sub, 'kubeconfig');
    const OLD = 'apiVersion: v1\nkind: Config\nclusters: [{name: old, cluster: {server: "https://old"}}]\nusers: [{name: o}]\n';
    mkdirSync(sub);
    writeFileSync(path, OLD);
    const check = ['sh', '-c', 'echo "Unable to connect to the server: x509: certificate signed by unknown authority" >&2; exit 1'];
    const params = writeKubeconfigStep.normalize!({ path, fromSecret: { name: 'c1-kubeconfig', namespace: 'x' }, check });
    const ctx = createTestContext({ kube: secretCluster({ value: Buffer.from(NEW).toString('base64') }) });
    const error = (await writeKubeconfigStep.run(params, ctx).catch((e: unknown) => e)) as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.message).toMatch(/checking the new kubeconfig with `sh -c .*` failed \(exit 1\): .*x509: certificate signed by unknown authority; .*failing\/kubeconfig left unchanged/);
    expect(error.errorClass).toBe('transient');
    expect(readFileSync(path, 'utf8')).toBe(OLD);
    expect(readdirSync(sub)).toEqual(['kubeconfig']);
  });

  it('plan reads the secret and writes nothing', async () => {
    const path = join(dir, 'planned');
    const params = writeKubeconfigStep.normalize!({ path, fromSecret: { name: 'c1-kubeconfig', namespace: 'x' } });
    const ctx = createTestContext({ kube: secretCluster({ value: Buffer.from(NEW).toString('base64') }) });
    const preview = await writeKubeconfigStep.plan!(params, createPlanContext(ctx));
    expect(preview.summary).toMatch(/would replace .*planned with the kubeconfig from secret x\/c1-kubeconfig key value \(servers: https:\/\/10.0.0.1:6443\)/);
    expect(existsSync(path)).toBe(false);
  });
});
