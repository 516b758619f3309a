// Reads every certificate kubeadm manages on one node in a single transport round trip, and parses it natively.

import type { NodeTransport } from '../../node/index.js';
import type { CertificateInfo, parseCertificate } from '../../pki/certificate.js';

type ParseCertificate = typeof parseCertificate;
import { readEmbeddedCredentials } from './kubeconfig-certs.js';
import { CAS, KUBELET_FILES, LEAVES, joinNodePath, type CaName, type LeafEntry } from './layout.js';

export type CertGroup = 'leaf' | 'ca' | 'kubelet';

export interface CertRecord {
  name: string;
  group: CertGroup;
  /** Absolute path on the node. */
  path: string;
  ca?: CaName;
  info?: CertificateInfo;
  /** Why `info` is missing. */
  problem?: 'missing' | 'unreadable' | 'invalid';
  error?: string;
  /** kubeadm's meaning: the signing CA's key is not on the node, so kubeadm (and opsbook) cannot renew it. */
  externallyManaged: boolean;
  /** The file's bytes as read (kubeconfig text or PEM), kept for renewal. */
  content?: string;
  /** The private key PEM (leaves: beside the cert or embedded in the kubeconfig; CAs: the CA key). */
  keyPem?: string;
  /** Why a CA's key is not in `keyPem`: absent (external CA) or present but unreadable (an error, never "external"). */
  keyProblem?: 'missing' | 'unreadable';
  leaf?: LeafEntry;
}

export interface Inventory {
  leaves: CertRecord[];
  cas: CertRecord[];
  kubelet: CertRecord[];
}

export interface InventoryOptions {
  kubernetesDir: string;
  kubeletPkiDir: string;
  include: { leaves: boolean; cas: boolean; kubelet: boolean };
  /** Keep leaf private keys (renewal needs their encoding); CA keys are always checked. */
  withLeafKeys?: boolean;
  signal?: AbortSignal;
}

export async function readInventory(node: NodeTransport, options: InventoryOptions): Promise<Inventory> {
  // Loaded here, not at module load: the X.509 stack would otherwise slow every `opsbook validate`.
  const { parseCertificate } = await import('../../pki/certificate.js');
  const k8s = (rel: string) => joinNodePath(options.kubernetesDir, rel);
  const wanted = new Set<string>();
  // CAs are read whenever leaves are: a leaf's "externally managed" depends on its CA's key.
  const needCas = options.include.cas || options.include.leaves;
  if (needCas) for (const ca of CAS) wanted.add(k8s(ca.certPath)).add(k8s(ca.keyPath));
  if (options.include.leaves) {
    for (const leaf of LEAVES) {
      wanted.add(k8s(leaf.certPath));
      if (leaf.keyPath && options.withLeafKeys) wanted.add(k8s(leaf.keyPath));
    }
  }
  if (options.include.kubelet) for (const f of KUBELET_FILES) wanted.add(joinNodePath(options.kubeletPkiDir, f));
  const paths = [...wanted];
  const results = await node.readFiles(paths, options.signal);
  const files = new Map(results.map((r) => [r.path, r]));
  const text = (path: string) => files.get(path)?.data?.toString('utf8');
  const problemOf = (path: string) => files.get(path)?.problem;

  const cas: CertRecord[] = needCas
    ? CAS.map((ca) => {
        const record = parsed(parseCertificate, ca.name, 'ca', k8s(ca.certPath), text(k8s(ca.certPath)), problemOf(k8s(ca.certPath)));
        record.keyPem = text(k8s(ca.keyPath));
        record.keyProblem = record.keyPem === undefined ? (problemOf(k8s(ca.keyPath)) ?? 'missing') : undefined;
        record.externallyManaged = record.keyProblem === 'missing';
        return record;
      })
    : [];
  const caKeyMissing = (name: CaName) => cas.find((c) => c.name === name)?.keyProblem === 'missing';

  const leaves: CertRecord[] = options.include.leaves
    ? LEAVES.map((leaf) => {
        const path = k8s(leaf.certPath);
        const content = text(path);
        const record = leaf.kind === 'kubeconfig'
          ? parsedKubeconfig(parseCertificate, leaf.name, path, content, problemOf(path))
          : parsed(parseCertificate, leaf.name, 'leaf', path, content, problemOf(path));
        if (leaf.kind === 'pem' && leaf.keyPath) record.keyPem = text(k8s(leaf.keyPath));
        record.ca = leaf.ca;
        record.leaf = leaf;
        record.externallyManaged = caKeyMissing(leaf.ca);
        return record;
      })
    : [];

  const kubelet: CertRecord[] = options.include.kubelet
    ? KUBELET_FILES.map((f) => {
        const path = joinNodePath(options.kubeletPkiDir, f);
        const record = parsed(parseCertificate, f, 'kubelet', path, text(path), problemOf(path));
        record.ca = 'ca';
        return record;
      })
    : [];

  return { leaves, cas, kubelet };
}

function parsed(parseCertificate: ParseCertificate, name: string, group: CertGroup, path: string, content: string | undefined, problem: 'missing' | 'unreadable' | undefined): CertRecord {
  const record: CertRecord = { name, group, path, externallyManaged: false };
  if (content === undefined) return { ...record, problem: problem ?? 'missing' };
  record.content = content;
  try {
    record.info = parseCertificate(content, path);
  } catch (error) {
    record.problem = 'invalid';
    record.error = (error as Error).message;
  }
  return record;
}

function parsedKubeconfig(parseCertificate: ParseCertificate, name: string, path: string, content: string | undefined, problem: 'missing' | 'unreadable' | undefined): CertRecord {
  const record: CertRecord = { name, group: 'leaf', path, externallyManaged: false };
  if (content === undefined) return { ...record, problem: problem ?? 'missing' };
  record.content = content;
  try {
    const credentials = readEmbeddedCredentials(content, path);
    record.info = parseCertificate(credentials.certificatePem, `${path} (user ${credentials.user})`);
    record.keyPem = credentials.keyPem;
  } catch (error) {
    record.problem = 'invalid';
    record.error = (error as Error).message;
  }
  return record;
}
