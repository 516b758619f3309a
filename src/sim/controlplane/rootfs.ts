// A simulated node's root filesystem: a directory holding a real kubeadm PKI, kubeconfigs and kubelet certificates.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createCa, issueCertificate, type CertificateAuthority } from '../../pki/ca.js';
import { exportPrivateKeyPem, generateKeyPair, type KeyType } from '../../pki/keys.js';
import { stringifyYaml } from '../../yaml/index.js';
import { CAS, KUBELET_PKI_DIR, KUBERNETES_DIR, LEAVES, kubeconfigUser, type CaName, type LeafDef, type NodeIdentity } from './layout.js';

const DAY = 86_400_000;
const YEAR = 365 * DAY;

export type ClusterCas = Record<CaName, CertificateAuthority>;

export interface PkiPlan {
  keyType: KeyType;
  /** Simulated epoch ms every expiry is relative to. */
  now: number;
  /** ms from `now` to each CA's expiry. */
  caExpiresIn: number;
  /** ms from `now` to each leaf's expiry, by kubeadm name (negative: already expired). */
  leafExpiresIn: (name: string) => number;
  kubeletExpiresIn: number;
}

/** The cluster's three CAs, shared by every control-plane node as kubeadm requires. */
export async function createClusterCas(plan: PkiPlan): Promise<ClusterCas> {
  const notAfter = new Date(plan.now + plan.caExpiresIn);
  const notBefore = new Date(notAfter.getTime() - 10 * YEAR);
  const entries = await Promise.all(
    CAS.map(async (ca) => [ca.name, await createCa({ commonName: ca.commonName, keyType: plan.keyType, notBefore, notAfter })] as const),
  );
  return Object.fromEntries(entries) as ClusterCas;
}

/** Maps an absolute node path into the rootfs; `..` never climbs out of it. */
export function hostPath(rootfs: string, nodePath: string): string {
  const parts: string[] = [];
  for (const part of nodePath.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return join(rootfs, ...parts);
}

// kubeadm writes keys in their traditional encodings ("EC PRIVATE KEY", "RSA PRIVATE KEY").
function traditional(pkcs8: string, keyType: KeyType): string {
  return createPrivateKey(pkcs8).export({ type: keyType.startsWith('rsa') ? 'pkcs1' : 'sec1', format: 'pem' }).toString();
}

async function put(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, { mode });
}

export interface IssuedLeaf {
  certificatePem: string;
  keyPem: string;
}

/** Issues one leaf as kubeadm's init phase would, valid until `notAfter` (a year's lifetime before that). */
export async function issueLeaf(cas: ClusterCas, leaf: Pick<LeafDef, 'ca' | 'commonName' | 'organizations' | 'usages' | 'sans'>, node: NodeIdentity, keyType: KeyType, notAfter: number): Promise<IssuedLeaf> {
  const keys = await generateKeyPair(keyType);
  const ca = cas[leaf.ca];
  const cert = await issueCertificate(ca, {
    commonName: leaf.commonName(node),
    organizations: leaf.organizations,
    ...(leaf.sans ? leaf.sans(node) : {}),
    publicKey: keys.publicKey,
    usages: leaf.usages,
    notBefore: new Date(Math.max(notAfter - YEAR, ca.certificate.notBefore.getTime())),
    notAfter: new Date(notAfter),
  });
  return { certificatePem: cert.toString('pem') + '\n', keyPem: traditional(await exportPrivateKeyPem(keys.privateKey), keyType) };
}

/** A kubeconfig as kubeadm writes it, the client certificate embedded (or, for kubelet.conf, referenced). */
export function renderKubeadmKubeconfig(options: { server: string; caPem: string; user: string; certificatePem?: string; keyPem?: string; certificateFile?: string }): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const user = options.certificateFile
    ? { 'client-certificate': options.certificateFile, 'client-key': options.certificateFile }
    : { 'client-certificate-data': b64(options.certificatePem!), 'client-key-data': b64(options.keyPem!) };
  return stringifyYaml({
    apiVersion: 'v1',
    clusters: [{ cluster: { 'certificate-authority-data': b64(options.caPem), server: options.server }, name: 'kubernetes' }],
    contexts: [{ context: { cluster: 'kubernetes', user: options.user }, name: `${options.user}@kubernetes` }],
    'current-context': `${options.user}@kubernetes`,
    kind: 'Config',
    preferences: {},
    users: [{ name: options.user, user }],
  });
}

const STATIC_PODS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/**
 * Writes the node's PKI: CAs (with keys), every leaf, and the kubelet's rotated certificates. Kubeconfigs wait for
 * writeKubeconfigs(), which needs the address the node's API server got.
 */
export async function writeNodePki(rootfs: string, node: NodeIdentity, cas: ClusterCas, plan: PkiPlan): Promise<Map<string, IssuedLeaf>> {
  const k8s = (rel: string) => hostPath(rootfs, `${KUBERNETES_DIR}/${rel}`);
  for (const ca of CAS) {
    await put(k8s(`${ca.base}.crt`), cas[ca.name].certificatePem + '\n');
    await put(k8s(`${ca.base}.key`), traditional(cas[ca.name].privateKeyPem, plan.keyType), 0o600);
  }
  const issued = new Map<string, IssuedLeaf>();
  await Promise.all(
    LEAVES.map(async (leaf) => {
      const pair = await issueLeaf(cas, leaf, node, plan.keyType, plan.now + plan.leafExpiresIn(leaf.name));
      issued.set(leaf.name, pair);
      if (leaf.kubeconfig) return;
      await put(k8s(`${leaf.file}.crt`), pair.certificatePem);
      await put(k8s(`${leaf.file}.key`), pair.keyPem, 0o600);
    }),
  );
  for (const pod of STATIC_PODS) {
    await put(k8s(`manifests/${pod}.yaml`), stringifyYaml({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, namespace: 'kube-system' } }), 0o600);
  }
  await writeKubeletPki(rootfs, node, cas, plan);
  return issued;
}

const KUBELET_CLIENT = { ca: 'ca' as const, commonName: (n: NodeIdentity) => `system:node:${n.name}`, organizations: ['system:nodes'], usages: ['digital signature', 'key encipherment', 'client auth'] as LeafDef['usages'] };

/** kubelet-client-YYYY-MM-DD-HH-MM-SS.pem, as the kubelet's certificate store names a pair issued at `issuedAt`. */
function kubeletPemName(kind: string, issuedAt: number): string {
  const t = new Date(issuedAt).toISOString();
  return `kubelet-${kind}-${t.slice(0, 10)}-${t.slice(11, 13)}-${t.slice(14, 16)}-${t.slice(17, 19)}.pem`;
}

/**
 * The kubelet's client certificate rotation (it asks for a new one once 80% of the current one's life has passed and
 * the API server accepts it): a new pair valid a year, `-current.pem` repointed. Returns whether it rotated.
 */
export async function rotateKubeletClient(rootfs: string, node: NodeIdentity, cas: ClusterCas, keyType: KeyType, now: number): Promise<boolean> {
  const dir = hostPath(rootfs, KUBELET_PKI_DIR);
  const current = join(dir, 'kubelet-client-current.pem');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(current));
  } catch {
    return false;
  }
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  // An expired certificate cannot authenticate the request for its successor: the kubelet needs bootstrapping again.
  if (now >= to || now < from + 0.8 * (to - from)) return false;
  const pair = await issueLeaf(cas, KUBELET_CLIENT, node, keyType, now + YEAR);
  const file = kubeletPemName('client', now);
  await put(join(dir, file), pair.certificatePem + pair.keyPem, 0o600);
  await rm(current);
  await symlink(file, current);
  return true;
}

async function writeKubeletPki(rootfs: string, node: NodeIdentity, cas: ClusterCas, plan: PkiPlan): Promise<void> {
  const dir = hostPath(rootfs, KUBELET_PKI_DIR);
  const notAfter = plan.now + plan.kubeletExpiresIn;
  const kinds = [
    { kind: 'client', usages: KUBELET_CLIENT.usages, sans: undefined },
    { kind: 'server', usages: ['digital signature', 'key encipherment', 'server auth'] as LeafDef['usages'], sans: (n: NodeIdentity) => ({ dnsNames: [n.name], ipAddresses: [n.address] }) },
  ];
  for (const { kind, usages, sans } of kinds) {
    const pair = await issueLeaf(cas, { ...KUBELET_CLIENT, usages, sans }, node, plan.keyType, notAfter);
    const file = kubeletPemName(kind, notAfter - YEAR);
    // The kubelet keeps each rotated pair in one file and points `-current.pem` at the newest.
    await put(join(dir, file), pair.certificatePem + pair.keyPem, 0o600);
    await symlink(file, join(dir, `kubelet-${kind}-current.pem`));
  }
}

/** Writes admin.conf & co. with their embedded certificates, and kubelet.conf, all pointing at `server`. */
export async function writeKubeconfigs(rootfs: string, node: NodeIdentity, cas: ClusterCas, issued: Map<string, IssuedLeaf>, server: string): Promise<void> {
  const caPem = cas.ca.certificatePem + '\n';
  for (const leaf of LEAVES.filter((l) => l.kubeconfig)) {
    const pair = issued.get(leaf.name)!;
    const text = renderKubeadmKubeconfig({ server, caPem, user: kubeconfigUser(leaf, node), certificatePem: pair.certificatePem, keyPem: pair.keyPem });
    await put(hostPath(rootfs, `${KUBERNETES_DIR}/${leaf.file}`), text, 0o600);
  }
  const kubeletPem = `${KUBELET_PKI_DIR}/kubelet-client-current.pem`;
  await put(hostPath(rootfs, `${KUBERNETES_DIR}/kubelet.conf`), renderKubeadmKubeconfig({ server, caPem, user: `system:node:${node.name}`, certificateFile: kubeletPem }), 0o600);
}
