// What kubeadm writes on a control-plane node: each certificate, its CA, subject, usages and SANs, as kubeadm names them.

import type { Usage } from '../../pki/ca.js';

export type CaName = 'ca' | 'etcd-ca' | 'front-proxy-ca';

export interface CaDef {
  name: CaName;
  /** Relative to /etc/kubernetes. */
  base: string;
  commonName: string;
}

export interface LeafDef {
  /** As `kubeadm certs` names it. */
  name: string;
  ca: CaName;
  /** `pki/…` without extension, or the kubeconfig file name. */
  file: string;
  kubeconfig: boolean;
  commonName: (node: NodeIdentity) => string;
  organizations: string[];
  usages: Usage[];
  sans?: (node: NodeIdentity) => { dnsNames: string[]; ipAddresses: string[] };
  /** The line `kubeadm certs renew` prints for it (before " renewed"). */
  renewMessage: string;
}

export interface NodeIdentity {
  name: string;
  address: string;
}

export const CAS: CaDef[] = [
  { name: 'ca', base: 'pki/ca', commonName: 'kubernetes' },
  { name: 'etcd-ca', base: 'pki/etcd/ca', commonName: 'etcd-ca' },
  { name: 'front-proxy-ca', base: 'pki/front-proxy-ca', commonName: 'front-proxy-ca' },
];

const SERVER: Usage[] = ['digital signature', 'key encipherment', 'server auth'];
const CLIENT: Usage[] = ['digital signature', 'key encipherment', 'client auth'];
const BOTH: Usage[] = ['digital signature', 'key encipherment', 'server auth', 'client auth'];
const fixed = (cn: string) => () => cn;
// 127.0.0.1 is where the simulation serves each node's API server, so clients checking the name find it.
const apiserverSans = (n: NodeIdentity) => ({
  dnsNames: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', n.name],
  ipAddresses: ['10.96.0.1', n.address, '127.0.0.1'],
});
const etcdSans = (n: NodeIdentity) => ({ dnsNames: [n.name, 'localhost'], ipAddresses: [n.address, '127.0.0.1', '::1'] });

/** In the order `kubeadm certs check-expiration` lists them. */
export const LEAVES: LeafDef[] = [
  { name: 'admin.conf', ca: 'ca', file: 'admin.conf', kubeconfig: true, commonName: fixed('kubernetes-admin'), organizations: ['kubeadm:cluster-admins'], usages: CLIENT,
    renewMessage: 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself' },
  { name: 'apiserver', ca: 'ca', file: 'pki/apiserver', kubeconfig: false, commonName: fixed('kube-apiserver'), organizations: [], usages: SERVER, sans: apiserverSans,
    renewMessage: 'certificate for serving the Kubernetes API' },
  { name: 'apiserver-etcd-client', ca: 'etcd-ca', file: 'pki/apiserver-etcd-client', kubeconfig: false, commonName: fixed('kube-apiserver-etcd-client'), organizations: [], usages: CLIENT,
    renewMessage: 'certificate the apiserver uses to access etcd' },
  { name: 'apiserver-kubelet-client', ca: 'ca', file: 'pki/apiserver-kubelet-client', kubeconfig: false, commonName: fixed('kube-apiserver-kubelet-client'), organizations: ['kubeadm:cluster-admins'], usages: CLIENT,
    renewMessage: 'certificate for the API server to connect to kubelet' },
  { name: 'controller-manager.conf', ca: 'ca', file: 'controller-manager.conf', kubeconfig: true, commonName: fixed('system:kube-controller-manager'), organizations: [], usages: CLIENT,
    renewMessage: 'certificate embedded in the kubeconfig file for the controller manager to use' },
  { name: 'etcd-healthcheck-client', ca: 'etcd-ca', file: 'pki/etcd/healthcheck-client', kubeconfig: false, commonName: fixed('kube-etcd-healthcheck-client'), organizations: [], usages: CLIENT,
    renewMessage: 'certificate for liveness probes to healthcheck etcd' },
  { name: 'etcd-peer', ca: 'etcd-ca', file: 'pki/etcd/peer', kubeconfig: false, commonName: (n) => n.name, organizations: [], usages: BOTH, sans: etcdSans,
    renewMessage: 'certificate for etcd nodes to communicate with each other' },
  { name: 'etcd-server', ca: 'etcd-ca', file: 'pki/etcd/server', kubeconfig: false, commonName: (n) => n.name, organizations: [], usages: BOTH, sans: etcdSans,
    renewMessage: 'certificate for serving etcd' },
  { name: 'front-proxy-client', ca: 'front-proxy-ca', file: 'pki/front-proxy-client', kubeconfig: false, commonName: fixed('front-proxy-client'), organizations: [], usages: CLIENT,
    renewMessage: 'certificate for the front proxy client' },
  { name: 'scheduler.conf', ca: 'ca', file: 'scheduler.conf', kubeconfig: true, commonName: fixed('system:kube-scheduler'), organizations: [], usages: CLIENT,
    renewMessage: 'certificate embedded in the kubeconfig file for the scheduler manager to use' },
  { name: 'super-admin.conf', ca: 'ca', file: 'super-admin.conf', kubeconfig: true, commonName: fixed('kubernetes-super-admin'), organizations: ['system:masters'], usages: CLIENT,
    renewMessage: 'certificate embedded in the kubeconfig file for the super-admin' },
];

export const LEAF_NAMES = LEAVES.map((l) => l.name);

/** The kubeconfig user kubeadm writes for each *.conf: its certificate's common name. */
export function kubeconfigUser(leaf: LeafDef, node: NodeIdentity): string {
  return leaf.commonName(node);
}

export const KUBERNETES_DIR = '/etc/kubernetes';
export const KUBELET_PKI_DIR = '/var/lib/kubelet/pki';
/** Static-pod containers the kubelet runs on every control-plane node, plus the etcd-defrag DaemonSet's pod. */
export const CONTAINERS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd-defrag'];
