// Server-side rules through @kubernetes/client-node (and the real kubectl): CSR immutability and approval rules,
// impersonation, CSR field selectors, watch timeouts, dry runs on every mutation, one serialized resourceVersion.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCsrForApi, generateCsr } from '../../src/pki/csr.js';
import type { Simulation } from '../../src/sim/index.js';
import { k8s, kubeConfig, rawGet, startSim } from './helpers.js';

const KUBECTL = '/usr/bin/kubectl';
const ALICE_TOKEN = 'alice-token-not-admin';
const CUSTOM_SIGNER = 'example.com/custom';
const run = promisify(execFile);

let sim: Simulation;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let certs: k8s.CertificatesV1Api;
let request: string;
let dir: string;

beforeAll(async () => {
  sim = await startSim({ flavour: 'kubernetes', users: [{ name: 'alice', token: ALICE_TOKEN, groups: ['developers'] }] });
  kc = kubeConfig(sim);
  core = kc.makeApiClient(k8s.CoreV1Api);
  certs = kc.makeApiClient(k8s.CertificatesV1Api);
  request = encodeCsrForApi((await generateCsr({ commonName: 'system:node:worker-9', organizations: ['system:nodes'] })).pem);
  dir = await mkdtemp(join(tmpdir(), 'sim-rules-'));
});
afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Failure {
  code: number | undefined;
  status: { kind?: string; reason?: string; code?: number; details?: { causes?: { field?: string; reason?: string; message?: string }[] } };
}

/** The HTTP code and metav1.Status of a call expected to fail (fails the test if it succeeds). */
async function failure(call: Promise<unknown>): Promise<Failure> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error as { code?: number; body?: unknown } }),
  );
  if (outcome.ok) throw new Error(`expected the call to fail, it answered ${JSON.stringify(outcome.value)}`);
  const body = outcome.error.body;
  return { code: outcome.error.code, status: typeof body === 'string' ? JSON.parse(body) : (body as Failure['status']) };
}

function csrBody(name: string, signerName = CUSTOM_SIGNER): k8s.V1CertificateSigningRequest {
  return { metadata: { name }, spec: { request, signerName, usages: ['digital signature', 'client auth'] } };
}

function condition(type: 'Approved' | 'Denied'): k8s.V1CertificateSigningRequestCondition {
  return { type, status: 'True', reason: 'Test', message: `${type} by the test` };
}

/** The cluster-wide resourceVersion (any list answers it). */
async function clusterRv(): Promise<number> {
  return Number((await core.listNamespace()).metadata?.resourceVersion);
}

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const certificatePem = () => Buffer.from(sim.caPem).toString('base64');

describe('CSR rules enforced by the server', () => {
  it('refuses a change to spec on the main resource with 422 Invalid naming spec', async () => {
    await certs.createCertificateSigningRequest({ body: csrBody('immutable') });
    const patched = await failure(certs.patchCertificateSigningRequest({ name: 'immutable', body: { spec: { signerName: 'example.com/other' } } }, mergePatch));
    expect(patched.code).toBe(422);
    expect(patched.status).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(patched.status.details?.causes?.map((c) => c.field)).toEqual(['spec']);
    const current = await certs.readCertificateSigningRequest({ name: 'immutable' });
    const replaced = await failure(certs.replaceCertificateSigningRequest({ name: 'immutable', body: { ...current, spec: { ...current.spec, usages: ['digital signature', 'server auth'] } } }));
    expect(replaced.code).toBe(422);
    expect(replaced.status.details?.causes?.map((c) => c.field)).toEqual(['spec']);
    expect((await certs.readCertificateSigningRequest({ name: 'immutable' })).spec.signerName).toBe(CUSTOM_SIGNER);
  });

  it('refuses an /approval carrying both Approved and Denied', async () => {
    const csr = await certs.createCertificateSigningRequest({ body: csrBody('both') });
    const both = await failure(certs.replaceCertificateSigningRequestApproval({ name: 'both', body: { ...csr, status: { conditions: [condition('Approved'), condition('Denied')] } } }));
    expect(both.code).toBe(422);
    expect(both.status.reason).toBe('Invalid');
    expect(both.status.details?.causes?.[0]?.message).toContain('mutually exclusive');
    expect((await certs.readCertificateSigningRequest({ name: 'both' })).status?.conditions ?? []).toEqual([]);
  });

  it('refuses an /approval that drops an existing Denied or Approved condition (422 Invalid, as field.Forbidden in kube-apiserver)', async () => {
    const denied = await certs.replaceCertificateSigningRequestApproval({
      name: 'both',
      body: { ...(await certs.readCertificateSigningRequest({ name: 'both' })), status: { conditions: [condition('Denied')] } },
    });
    const cleared = await failure(certs.replaceCertificateSigningRequestApproval({ name: 'both', body: { ...denied, status: { conditions: [] } } }));
    expect(cleared.code).toBe(422);
    expect(cleared.status.details?.causes).toContainEqual(expect.objectContaining({ field: 'status.conditions', reason: 'FieldValueForbidden' }));
    const flipped = await failure(certs.replaceCertificateSigningRequestApproval({ name: 'both', body: { ...denied, status: { conditions: [condition('Approved')] } } }));
    expect(flipped.code).toBe(422);

    const csr = await certs.createCertificateSigningRequest({ body: csrBody('approved-once') });
    const approved = await certs.replaceCertificateSigningRequestApproval({ name: 'approved-once', body: { ...csr, status: { conditions: [condition('Approved')] } } });
    const unapproved = await failure(certs.replaceCertificateSigningRequestApproval({ name: 'approved-once', body: { ...approved, status: { conditions: [] } } }));
    expect(unapproved.code).toBe(422);
    expect(unapproved.status.details?.causes?.[0]?.message).toContain('"Approved"');
    expect((await certs.readCertificateSigningRequest({ name: 'approved-once' })).status?.conditions?.map((c) => c.type)).toEqual(['Approved']);
  });

  it('sets a certificate through /status only once the CSR is approved, and never changes it afterwards', async () => {
    const csr = await certs.createCertificateSigningRequest({ body: csrBody('issued') });
    const early = await failure(certs.replaceCertificateSigningRequestStatus({ name: 'issued', body: { ...csr, status: { certificate: certificatePem() } } }));
    expect(early.code).toBe(422);
    expect(early.status.details?.causes?.[0]?.field).toBe('status.certificate');
    const approved = await certs.replaceCertificateSigningRequestApproval({ name: 'issued', body: { ...csr, status: { conditions: [condition('Approved')] } } });
    const issued = await certs.replaceCertificateSigningRequestStatus({ name: 'issued', body: { ...approved, status: { ...approved.status, certificate: certificatePem() } } });
    expect(issued.status?.certificate).toBe(certificatePem());
    const other = Buffer.from(sim.caPem + sim.caPem).toString('base64');
    const changed = await failure(certs.replaceCertificateSigningRequestStatus({ name: 'issued', body: { ...issued, status: { ...issued.status, certificate: other } } }));
    expect(changed.code).toBe(422);
    expect(changed.status.details?.causes?.[0]).toMatchObject({ field: 'status.certificate', reason: 'FieldValueForbidden' });
    expect((await certs.readCertificateSigningRequest({ name: 'issued' })).status?.certificate).toBe(certificatePem());
  });

  it('keeps a Failed condition set through /status: an update that drops it is 422', async () => {
    const csr = await certs.createCertificateSigningRequest({ body: csrBody('failed') });
    const approved = await certs.replaceCertificateSigningRequestApproval({ name: 'failed', body: { ...csr, status: { conditions: [condition('Approved')] } } });
    const failedCondition = { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: 'test signer refused' };
    const failed = await certs.replaceCertificateSigningRequestStatus({ name: 'failed', body: { ...approved, status: { conditions: [...(approved.status?.conditions ?? []), failedCondition] } } });
    expect(failed.status?.conditions?.map((c) => c.type)).toEqual(['Approved', 'Failed']);
    expect(failed.status?.conditions?.[1]?.lastTransitionTime).toBeTruthy();
    const dropped = await failure(certs.replaceCertificateSigningRequestStatus({ name: 'failed', body: { ...failed, status: { conditions: [] } } }));
    expect(dropped.code).toBe(422);
    expect(dropped.status.details?.causes).toContainEqual(expect.objectContaining({ field: 'status.conditions', reason: 'FieldValueForbidden' }));
    expect((await certs.readCertificateSigningRequest({ name: 'failed' })).status?.conditions?.map((c) => c.type)).toEqual(['Approved', 'Failed']);
  });

  it('answers exactly one of two concurrent approvals from the same resourceVersion with 409 Conflict', async () => {
    const csr = await certs.createCertificateSigningRequest({ body: csrBody('race') });
    const outcomes = await Promise.allSettled([
      certs.replaceCertificateSigningRequestApproval({ name: 'race', body: { ...csr, status: { conditions: [condition('Approved')] } } }),
      certs.replaceCertificateSigningRequestApproval({ name: 'race', body: { ...csr, status: { conditions: [condition('Denied')] } } }),
    ]);
    const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 200 : (o.reason as { code?: number }).code)).sort();
    expect(codes).toEqual([200, 409]);
    expect((await certs.readCertificateSigningRequest({ name: 'race' })).status?.conditions).toHaveLength(1);
  });
});

describe('impersonation', () => {
  it('forbids a non-admin token to impersonate, with a 403 Forbidden Status', async () => {
    const alice = new k8s.KubeConfig();
    alice.loadFromString(sim.kubeconfig.replace(sim.adminToken, ALICE_TOKEN));
    const aliceCerts = alice.makeApiClient(k8s.CertificatesV1Api);
    // Alice may list CSRs as herself, so the 403 below comes from the impersonation alone.
    await aliceCerts.listCertificateSigningRequest();
    const asAdmin = await failure(aliceCerts.listCertificateSigningRequest({}, k8s.setHeaderOptions('Impersonate-User', 'system:admin')));
    expect(asAdmin.code).toBe(403);
    expect(asAdmin.status).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    const asGroup = await failure(aliceCerts.listCertificateSigningRequest({}, k8s.setHeaderOptions('Impersonate-User', 'system:node:worker-9')));
    expect(asGroup.status.reason).toBe('Forbidden');
  });

  it.skipIf(!existsSync(KUBECTL))('takes spec.username and spec.groups from `kubectl create --as … --as-group …`, not from the body', async () => {
    const file = join(dir, 'csr.yaml');
    await writeFile(
      file,
      `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: as-node\nspec:\n  request: ${request}\n  signerName: kubernetes.io/kubelet-serving\n  usages: [digital signature, server auth]\n  username: forged\n  groups: [system:masters]\n`,
    );
    await run(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, 'create', '-f', file, '--as', 'system:node:worker-9', '--as-group', 'system:nodes'], { timeout: 30_000 });
    const csr = await certs.readCertificateSigningRequest({ name: 'as-node' });
    expect(csr.spec.username).toBe('system:node:worker-9');
    expect([...(csr.spec.groups ?? [])].sort()).toEqual(['system:authenticated', 'system:nodes']);
  });

  it.skipIf(!existsSync(KUBECTL))('adds system:unauthenticated, not system:authenticated, for system:anonymous or an explicit unauthenticated group', async () => {
    const groupsOf = async (name: string, ...impersonation: string[]): Promise<string[]> => {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, `apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata:\n  name: ${name}\nspec:\n  request: ${request}\n  signerName: ${CUSTOM_SIGNER}\n  usages: [digital signature, client auth]\n`);
      await run(KUBECTL, ['--kubeconfig', sim.kubeconfigPath, 'create', '-f', file, ...impersonation], { timeout: 30_000 });
      return [...((await certs.readCertificateSigningRequest({ name })).spec.groups ?? [])].sort();
    };
    expect(await groupsOf('as-anonymous', '--as', 'system:anonymous')).toEqual(['system:unauthenticated']);
    expect(await groupsOf('as-unauthenticated', '--as', 'bob', '--as-group', 'system:unauthenticated')).toEqual(['system:unauthenticated']);
    expect(await groupsOf('as-bob', '--as', 'bob')).toEqual(['system:authenticated']);
  });
});

describe('CSR field selectors', () => {
  it('lists only kubelet-serving CSRs with fieldSelector spec.signerName', async () => {
    await certs.createCertificateSigningRequest({ body: csrBody('sel-serving-a', 'kubernetes.io/kubelet-serving') });
    await certs.createCertificateSigningRequest({ body: csrBody('sel-serving-b', 'kubernetes.io/kubelet-serving') });
    await certs.createCertificateSigningRequest({ body: csrBody('sel-client', 'kubernetes.io/kube-apiserver-client-kubelet') });
    const serving = await certs.listCertificateSigningRequest({ fieldSelector: 'spec.signerName=kubernetes.io/kubelet-serving' });
    const names = serving.items.map((c) => c.metadata?.name);
    expect(names).toEqual(expect.arrayContaining(['sel-serving-a', 'sel-serving-b']));
    expect(serving.items.every((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving')).toBe(true);
    const others = await certs.listCertificateSigningRequest({ fieldSelector: 'spec.signerName!=kubernetes.io/kubelet-serving' });
    expect(others.items.map((c) => c.metadata?.name)).toContain('sel-client');
    expect(others.items.some((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving')).toBe(false);
  });
});

describe('watch timeoutSeconds', () => {
  it('ends a raw ?watch=1&timeoutSeconds=1 stream by itself with status 200', async () => {
    await certs.createCertificateSigningRequest({ body: csrBody('watched') });
    // The guard only turns a hang (the 1800 s default) into a clear failure; it is no timing threshold.
    const outcome = await new Promise<{ status: number; body: string } | 'still open'>((resolve, reject) => {
      const req = https.get(
        `${sim.url}/apis/certificates.k8s.io/v1/certificatesigningrequests?watch=1&timeoutSeconds=1&resourceVersion=0`,
        { ca: sim.caPem, headers: { Authorization: `Bearer ${sim.adminToken}` } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => {
            clearTimeout(guard);
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      const guard = setTimeout(() => {
        req.destroy();
        resolve('still open');
      }, 20_000);
      req.on('error', reject);
    });
    expect(outcome).not.toBe('still open');
    const ended = outcome as { status: number; body: string };
    expect(ended.status).toBe(200);
    const events = ended.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: k8s.V1CertificateSigningRequest });
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toContain('ADDED watched');
  }, 30_000);

  it('answers a non-integer timeoutSeconds or limit with 400 BadRequest instead of ignoring it', async () => {
    for (const query of ['watch=1&timeoutSeconds=soon', 'watch=1&timeoutSeconds=1.5', 'limit=abc']) {
      const answer = await rawGet(sim, `/apis/certificates.k8s.io/v1/certificatesigningrequests?${query}`, sim.adminToken);
      expect(answer.status, query).toBe(400);
      expect(JSON.parse(answer.body), query).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    }
  });
});

describe('dryRun=All on every mutation', () => {
  it('answers PUT, /approval, /status and apply without storing anything or moving the resourceVersion', async () => {
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'dry-put' }, data: { a: '1' } } });
    const pending = await certs.createCertificateSigningRequest({ body: csrBody('dry-approval') });
    const toIssue = await certs.createCertificateSigningRequest({ body: csrBody('dry-status') });
    const approved = await certs.replaceCertificateSigningRequestApproval({ name: 'dry-status', body: { ...toIssue, status: { conditions: [condition('Approved')] } } });
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry-apply', namespace: 'default' }, data: { k: 'v1' } }, undefined, undefined, 'tester', undefined, k8s.PatchStrategy.ServerSideApply);
    const rv = await clusterRv();

    const cm = await core.readNamespacedConfigMap({ name: 'dry-put', namespace: 'default' });
    const put = await core.replaceNamespacedConfigMap({ name: 'dry-put', namespace: 'default', body: { ...cm, data: { a: '2' } }, dryRun: 'All' });
    expect(put.data).toEqual({ a: '2' });

    const approval = await certs.replaceCertificateSigningRequestApproval({ name: 'dry-approval', body: { ...pending, status: { conditions: [condition('Approved')] } }, dryRun: 'All' });
    expect(approval.status?.conditions?.map((c) => c.type)).toEqual(['Approved']);

    const status = await certs.replaceCertificateSigningRequestStatus({ name: 'dry-status', body: { ...approved, status: { ...approved.status, certificate: certificatePem() } }, dryRun: 'All' });
    expect(status.status?.certificate).toBe(certificatePem());

    const applied = await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry-apply', namespace: 'default' }, data: { k: 'v2' } }, undefined, 'All', 'tester', undefined, k8s.PatchStrategy.ServerSideApply);
    expect((applied as k8s.V1ConfigMap).data).toEqual({ k: 'v2' });
    const appliedNew = await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry-apply-new', namespace: 'default' }, data: { k: 'v1' } }, undefined, 'All', 'tester', undefined, k8s.PatchStrategy.ServerSideApply);
    expect(appliedNew.metadata?.name).toBe('dry-apply-new');

    expect((await core.readNamespacedConfigMap({ name: 'dry-put', namespace: 'default' })).data).toEqual({ a: '1' });
    expect((await certs.readCertificateSigningRequest({ name: 'dry-approval' })).status?.conditions ?? []).toEqual([]);
    expect((await certs.readCertificateSigningRequest({ name: 'dry-status' })).status?.certificate).toBeUndefined();
    expect((await core.readNamespacedConfigMap({ name: 'dry-apply', namespace: 'default' })).data).toEqual({ k: 'v1' });
    expect((await failure(core.readNamespacedConfigMap({ name: 'dry-apply-new', namespace: 'default' }))).code).toBe(404);
    expect(await clusterRv()).toBe(rv);
  });

  it('still validates under dry run: invalid names, CSR bodies and approvals are 422', async () => {
    const rv = await clusterRv();
    const badName = await failure(core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Bad_Name' } }, dryRun: 'All' }));
    expect(badName.code).toBe(422);
    expect(badName.status.details?.causes?.[0]?.field).toBe('metadata.name');
    const badSigner = await failure(certs.createCertificateSigningRequest({ body: csrBody('dry-bad-signer', 'not a signer'), dryRun: 'All' }));
    expect(badSigner.code).toBe(422);
    expect(badSigner.status.details?.causes?.[0]?.field).toBe('spec.signerName');
    const csr = await certs.readCertificateSigningRequest({ name: 'dry-approval' });
    const both = await failure(certs.replaceCertificateSigningRequestApproval({ name: 'dry-approval', body: { ...csr, status: { conditions: [condition('Approved'), condition('Denied')] } }, dryRun: 'All' }));
    expect(both.code).toBe(422);
    const spec = await failure(certs.patchCertificateSigningRequest({ name: 'dry-approval', body: { spec: { usages: ['server auth'] } }, dryRun: 'All' }, mergePatch));
    expect(spec.code).toBe(422);
    expect(await clusterRv()).toBe(rv);
  });
});

describe('one cluster-wide resourceVersion, mutations serialized', () => {
  it('gives consecutive resourceVersions to writes of two resource types', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'rv-a' } } });
    const ns = await core.createNamespace({ body: { metadata: { name: 'rv-b' } } });
    const csr = await certs.createCertificateSigningRequest({ body: csrBody('rv-c') });
    const rvs = [cm, ns, csr].map((o) => Number(o.metadata?.resourceVersion));
    expect(rvs).toEqual([rvs[0], rvs[0]! + 1, rvs[0]! + 2]);
    expect(await clusterRv()).toBe(rvs[2]);
  });

  it('gives 20 concurrent creates distinct, increasing resourceVersions', async () => {
    const before = await clusterRv();
    const created = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: `burst-${i}` } } })),
      ...Array.from({ length: 10 }, (_, i) => certs.createCertificateSigningRequest({ body: csrBody(`burst-${i}`) })),
    ]);
    const rvs = created.map((o) => Number(o.metadata?.resourceVersion)).sort((a, b) => a - b);
    expect(new Set(rvs).size).toBe(20);
    expect(rvs).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
    for (const object of created.slice(0, 10)) {
      const read = await core.readNamespacedConfigMap({ name: object.metadata!.name!, namespace: 'default' });
      expect(read.metadata?.resourceVersion).toBe(object.metadata?.resourceVersion);
    }
  });

  it('lets exactly one of concurrent creates of the same CSR name through; the rest are 409 AlreadyExists', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => certs.createCertificateSigningRequest({ body: csrBody('same-name') })));
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(failures.map((f) => (f.reason as { code?: number }).code)).toEqual([409, 409, 409, 409]);
    expect(failures.map((f) => JSON.parse((f.reason as { body: string }).body).reason)).toEqual(Array(4).fill('AlreadyExists'));
  });

  it('answers exactly one of two concurrent PUTs with the same resourceVersion with 409 Conflict', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'occ-race' }, data: { v: '0' } } });
    const outcomes = await Promise.allSettled(
      ['1', '2'].map((v) => core.replaceNamespacedConfigMap({ name: 'occ-race', namespace: 'default', body: { ...cm, data: { v } } })),
    );
    const codes = outcomes.map((o) => (o.status === 'fulfilled' ? 200 : (o.reason as { code?: number }).code)).sort();
    expect(codes).toEqual([200, 409]);
    const loser = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
    expect(JSON.parse((loser.reason as { body: string }).body).reason).toBe('Conflict');
    const winner = outcomes.find((o): o is PromiseFulfilledResult<k8s.V1ConfigMap> => o.status === 'fulfilled')!;
    expect((await core.readNamespacedConfigMap({ name: 'occ-race', namespace: 'default' })).data).toEqual(winner.value.data);
  });
});
