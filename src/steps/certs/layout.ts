// Where kubeadm keeps each certificate it manages, and which CA signs it (names as `kubeadm certs` prints them).

export type CaName = 'ca' | 'etcd-ca' | 'front-proxy-ca';

export interface CaEntry {
  name: CaName;
  /** Relative to kubernetesDir. */
  certPath: string;
  keyPath: string;
}

export interface LeafEntry {
  name: string;
  kind: 'pem' | 'kubeconfig';
  /** Relative to kubernetesDir: the .crt, or the kubeconfig holding the embedded client certificate. */
  certPath: string;
  /** `.key` beside a PEM certificate. */
  keyPath?: string;
  ca: CaName;
}

export const CAS: CaEntry[] = [
  { name: 'ca', certPath: 'pki/ca.crt', keyPath: 'pki/ca.key' },
  { name: 'etcd-ca', certPath: 'pki/etcd/ca.crt', keyPath: 'pki/etcd/ca.key' },
  { name: 'front-proxy-ca', certPath: 'pki/front-proxy-ca.crt', keyPath: 'pki/front-proxy-ca.key' },
];

const pem = (name: string, base: string, ca: CaName): LeafEntry => ({
  name,
  kind: 'pem',
  certPath: `${base}.crt`,
  keyPath: `${base}.key`,
  ca,
});
const conf = (name: string): LeafEntry => ({ name, kind: 'kubeconfig', certPath: name, ca: 'ca' });

/** Sorted by name, as `kubeadm certs check-expiration` lists them. */
export const LEAVES: LeafEntry[] = [
  conf('admin.conf'),
  pem('apiserver', 'pki/apiserver', 'ca'),
  pem('apiserver-etcd-client', 'pki/apiserver-etcd-client', 'etcd-ca'),
  pem('apiserver-kubelet-client', 'pki/apiserver-kubelet-client', 'ca'),
  conf('controller-manager.conf'),
  pem('etcd-healthcheck-client', 'pki/etcd/healthcheck-client', 'etcd-ca'),
  pem('etcd-peer', 'pki/etcd/peer', 'etcd-ca'),
  pem('etcd-server', 'pki/etcd/server', 'etcd-ca'),
  pem('front-proxy-client', 'pki/front-proxy-client', 'front-proxy-ca'),
  conf('scheduler.conf'),
  conf('super-admin.conf'),
];

/** The kubelet's rotated certificates (certificate and key in one file), relative to kubeletPkiDir. */
export const KUBELET_FILES = ['kubelet-client-current.pem', 'kubelet-server-current.pem'];

export const LEAF_NAMES = LEAVES.map((l) => l.name);

/** Joins a node path (POSIX, whatever the local OS). */
export function joinNodePath(dir: string, relative: string): string {
  return `${dir.replace(/\/+$/, '')}/${relative}`;
}
