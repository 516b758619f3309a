// The simulation's SelfSubjectReview, SelfSubjectAccessReview, impersonation and RBAC, checked with the real kubectl.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { KUBECTL, runKubectl, startSim } from './helpers.js';

let sim: Simulation;
let dir: string;

const kubectl = (...args: string[]) => runKubectl(sim, args);

const RBAC = `
apiVersion: v1
kind: Namespace
metadata: {name: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: approver, namespace: ops}
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [create, get]
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [only-this]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: sre-approves, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: approver}
subjects:
- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: sre}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader}
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bob-reads-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: bob}
`;

describe.skipIf(!existsSync(KUBECTL))('RBAC, reviews and impersonation', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-rbac-'));
    sim = await startSim({ users: [{ name: 'carol', token: 'carol-token', groups: ['sre'] }] });
    await writeFile(join(dir, 'rbac.yaml'), RBAC);
    const applied = await kubectl('apply', '-f', join(dir, 'rbac.yaml'));
    expect(applied.stderr).toBe('');
  });
  afterAll(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('kubectl auth whoami shows the impersonated user and groups (and the admin without impersonation)', async () => {
    const alice = await kubectl('auth', 'whoami', '--as', 'alice', '--as-group', 'sre', '-o', 'json');
    expect(alice.stderr).toBe('');
    expect(alice.code).toBe(0);
    const info = JSON.parse(alice.stdout) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(info.status.userInfo).toEqual({ username: 'alice', groups: ['sre', 'system:authenticated'] });
    const admin = await kubectl('auth', 'whoami');
    expect(admin.stdout).toMatch(/Username\s+\S+/);
    expect(admin.stdout).not.toContain('alice');
  });

  it('kubectl auth can-i follows Roles, RoleBindings, ClusterRoles and resourceNames', async () => {
    const can = async (...args: string[]) => (await kubectl('auth', 'can-i', ...args)).stdout.trim();
    expect(await can('create', 'configmaps', '-n', 'ops', '--as', 'alice', '--as-group', 'sre')).toBe('yes');
    expect(await can('create', 'configmaps', '-n', 'default', '--as', 'alice', '--as-group', 'sre')).toBe('no');
    expect(await can('delete', 'configmaps', '-n', 'ops', '--as', 'alice', '--as-group', 'sre')).toBe('no');
    expect(await can('create', 'configmaps', '-n', 'ops', '--as', 'bob')).toBe('no');
    expect(await can('list', 'nodes', '--as', 'bob')).toBe('yes');
    expect(await can('get', 'secrets/only-this', '-n', 'ops', '--as', 'alice', '--as-group', 'sre')).toBe('yes');
    expect(await can('get', 'secrets/other', '-n', 'ops', '--as', 'alice', '--as-group', 'sre')).toBe('no');
  });

  it('a real request is allowed or refused (403) by the same rules', async () => {
    const created = await kubectl('create', 'configmap', 'answer', '-n', 'ops', '--as', 'alice', '--as-group', 'sre');
    expect(created.code).toBe(0);
    const refused = await kubectl('create', 'configmap', 'answer2', '-n', 'ops', '--as', 'bob');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('User "bob" cannot create resource "configmaps" in API group "" in the namespace "ops"');
  });

  it('only an admin may impersonate: a user with a token of its own is refused', async () => {
    const kc = join(dir, 'carol.kubeconfig');
    const text = sim.kubeconfig.replace(/token: .*/, 'token: carol-token');
    await writeFile(kc, text);
    const asCarol = await runKubectl(sim, ['--kubeconfig', kc, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    expect(asCarol.stdout).toBe('carol');
    const impersonating = await runKubectl(sim, ['--kubeconfig', kc, 'get', 'configmaps', '-n', 'ops', '--as', 'alice']);
    expect(impersonating.stderr).toContain('cannot impersonate resource "users"');
    expect((await runKubectl(sim, ['--kubeconfig', kc, 'auth', 'can-i', 'create', 'configmaps', '-n', 'ops'])).stdout.trim()).toBe('yes');
  });
});
