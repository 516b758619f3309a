// Builds a real kubeadm-layout PKI with openssl in a temp dir (10-year CAs, expired or expiring leaves, kubeconfigs), for
// tests that need a PKI another tool made or the real local/ssh transports; the rest use the simulation's nodes.

import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DAY = 24 * 60 * 60 * 1000;

export type LeafName =
  | 'apiserver' | 'apiserver-kubelet-client' | 'front-proxy-client' | 'apiserver-etcd-client'
  | 'etcd-server' | 'etcd-peer' | 'etcd-healthcheck-client'
  | 'admin.conf' | 'super-admin.conf' | 'controller-manager.conf' | 'scheduler.conf';

export type CaName = 'ca' | 'etcd-ca' | 'front-proxy-ca';

interface LeafDef {
  name: LeafName;
  ca: CaName;
  subject: string;
  eku: string;
  sans?: string;
  /** `pki/...` base path without extension, or a kubeconfig file name. */
  file: string;
  kubeconfig?: boolean;
  key?: 'rsa' | 'ec';
}

export const NODE_NAME = 'cp-1';
const NODE_IP = '192.168.1.10';

export const LEAVES: LeafDef[] = [
  { name: 'apiserver', ca: 'ca', subject: '/CN=kube-apiserver', eku: 'serverAuth', file: 'pki/apiserver',
    sans: `DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:${NODE_NAME},IP:10.96.0.1,IP:${NODE_IP}` },
  { name: 'apiserver-kubelet-client', ca: 'ca', subject: '/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client', eku: 'clientAuth', file: 'pki/apiserver-kubelet-client' },
  { name: 'front-proxy-client', ca: 'front-proxy-ca', subject: '/CN=front-proxy-client', eku: 'clientAuth', file: 'pki/front-proxy-client' },
  { name: 'apiserver-etcd-client', ca: 'etcd-ca', subject: '/CN=kube-apiserver-etcd-client', eku: 'clientAuth', file: 'pki/apiserver-etcd-client' },
  { name: 'etcd-server', ca: 'etcd-ca', subject: `/CN=${NODE_NAME}`, eku: 'serverAuth,clientAuth', file: 'pki/etcd/server',
    sans: `DNS:${NODE_NAME},DNS:localhost,IP:${NODE_IP},IP:127.0.0.1,IP:0:0:0:0:0:0:0:1` },
  { name: 'etcd-peer', ca: 'etcd-ca', subject: `/CN=${NODE_NAME}`, eku: 'serverAuth,clientAuth', file: 'pki/etcd/peer', key: 'ec',
    sans: `DNS:${NODE_NAME},DNS:localhost,IP:${NODE_IP},IP:127.0.0.1,IP:0:0:0:0:0:0:0:1` },
  { name: 'etcd-healthcheck-client', ca: 'etcd-ca', subject: '/CN=kube-etcd-healthcheck-client', eku: 'clientAuth', file: 'pki/etcd/healthcheck-client' },
  { name: 'admin.conf', ca: 'ca', subject: '/O=kubeadm:cluster-admins/CN=kubernetes-admin', eku: 'clientAuth', file: 'admin.conf', kubeconfig: true },
  { name: 'super-admin.conf', ca: 'ca', subject: '/O=system:masters/CN=kubernetes-super-admin', eku: 'clientAuth', file: 'super-admin.conf', kubeconfig: true },
  { name: 'controller-manager.conf', ca: 'ca', subject: '/CN=system:kube-controller-manager', eku: 'clientAuth', file: 'controller-manager.conf', kubeconfig: true },
  { name: 'scheduler.conf', ca: 'ca', subject: '/CN=system:kube-scheduler', eku: 'clientAuth', file: 'scheduler.conf', kubeconfig: true },
];

export const CA_FILES: Record<CaName, string> = { ca: 'pki/ca', 'etcd-ca': 'pki/etcd/ca', 'front-proxy-ca': 'pki/front-proxy-ca' };
const CA_SUBJECTS: Record<CaName, string> = { ca: '/CN=kubernetes', 'etcd-ca': '/CN=etcd-ca', 'front-proxy-ca': '/CN=front-proxy-ca' };

export interface PkiFixtureOptions {
  /** "now" for validity (real time by default: openssl verify checks against the real clock). */
  now?: number;
  /** Leaf expiry per certificate; default: expired 3 days ago, except front-proxy-client (200 days left). */
  expiries?: Partial<Record<LeafName, number>>;
  /** CAs whose key is removed afterwards (externally managed). */
  externalCas?: CaName[];
  /** Also build /var/lib/kubelet/pki-style kubelet certificates in `<root>/kubelet-pki`. @default true */
  kubelet?: boolean;
}

export interface PkiFixture {
  root: string;
  kubernetesDir: string;
  kubeletPkiDir: string;
  now: number;
  expiries: Record<LeafName, number>;
  /** sha256 of every file under root, by relative path (to prove byte-identical restores). */
  hashTree(): Record<string, string>;
  /** A copy in a new temp dir (building costs seconds of key generation; copying does not). */
  clone(): PkiFixture;
  cleanup(): void;
}

/** Builds the PKI; takes a second or two (RSA key generation). */
export async function createPkiFixture(options: PkiFixtureOptions = {}): Promise<PkiFixture> {
  const now = options.now ?? Date.now();
  const root = mkdtempSync(join(tmpdir(), 'opsbook-pki-'));
  const k8s = join(root, 'kubernetes');
  const work = join(root, 'openssl-work');
  for (const d of [join(k8s, 'pki', 'etcd'), join(k8s, 'manifests'), join(work, 'newcerts')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(work, 'index.txt'), '');
  writeFileSync(join(work, 'serial'), '1000\n');
  const config = join(work, 'ca.cnf');
  writeFileSync(config, caConfig(work));

  const caStart = now - 30 * DAY;
  for (const ca of Object.keys(CA_FILES) as CaName[]) {
    const base = join(k8s, CA_FILES[ca]);
    await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${base}.key`, '-out', `${work}/${ca}.csr`, '-subj', CA_SUBJECTS[ca]]);
    writeFileSync(`${work}/${ca}.ext`, '[v3]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,keyEncipherment,keyCertSign\nsubjectKeyIdentifier=hash\n');
    await run('openssl', ['ca', '-batch', '-config', config, '-selfsign', '-keyfile', `${base}.key`, '-in', `${work}/${ca}.csr`, '-out', `${base}.crt`,
      '-startdate', stamp(caStart), '-enddate', stamp(caStart + 3650 * DAY), '-extfile', `${work}/${ca}.ext`, '-extensions', 'v3', '-notext', '-preserveDN']);
    await toPkcs1(`${base}.key`);
  }

  const expiries = {} as Record<LeafName, number>;
  for (const leaf of LEAVES) {
    const end = options.expiries?.[leaf.name] ?? (leaf.name === 'front-proxy-client' ? now + 200 * DAY : now - 3 * DAY);
    expiries[leaf.name] = Math.floor(end / 1000) * 1000;
    const { crt, key } = await issueLeaf(work, config, k8s, leaf, end - 365 * DAY, end);
    if (leaf.kubeconfig) writeFileSync(join(k8s, leaf.file), kubeconfig(leaf, readFileSync(join(k8s, 'pki/ca.crt')), crt, key));
    else {
      writeFileSync(join(k8s, `${leaf.file}.crt`), crt);
      writeFileSync(join(k8s, `${leaf.file}.key`), key, { mode: 0o600 });
    }
  }
  await run('openssl', ['genrsa', '-out', join(k8s, 'pki/sa.key'), '2048']);
  await run('openssl', ['rsa', '-in', join(k8s, 'pki/sa.key'), '-pubout', '-out', join(k8s, 'pki/sa.pub')]);
  writeFileSync(join(k8s, 'manifests/kube-apiserver.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n');

  const kubeletPkiDir = join(root, 'kubelet-pki');
  if (options.kubelet !== false) {
    mkdirSync(kubeletPkiDir);
    const kubeletLeaves: LeafDef[] = [
      { name: 'kubelet-client' as LeafName, ca: 'ca', subject: `/O=system:nodes/CN=system:node:${NODE_NAME}`, eku: 'clientAuth', file: 'kubelet-client', key: 'ec' },
      { name: 'kubelet-server' as LeafName, ca: 'ca', subject: `/O=system:nodes/CN=system:node:${NODE_NAME}`, eku: 'serverAuth', file: 'kubelet-server', key: 'ec',
        sans: `DNS:${NODE_NAME},IP:${NODE_IP}` },
    ];
    for (const leaf of kubeletLeaves) {
      const { crt, key } = await issueLeaf(work, config, k8s, leaf, now - 100 * DAY, now + 265 * DAY);
      writeFileSync(join(kubeletPkiDir, `${leaf.file}-current.pem`), crt + key, { mode: 0o600 });
    }
  }
  rmSync(work, { recursive: true, force: true });
  for (const ca of options.externalCas ?? []) rmSync(join(k8s, `${CA_FILES[ca]}.key`));

  return describeFixture(root, now, expiries);
}

function describeFixture(root: string, now: number, expiries: Record<LeafName, number>): PkiFixture {
  return {
    root,
    kubernetesDir: join(root, 'kubernetes'),
    kubeletPkiDir: join(root, 'kubelet-pki'),
    now,
    expiries,
    hashTree: () => hashTree(root),
    clone: () => {
      const copy = mkdtempSync(join(tmpdir(), 'opsbook-pki-'));
      cpSync(root, copy, { recursive: true, preserveTimestamps: true });
      return describeFixture(copy, now, expiries);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

async function issueLeaf(work: string, config: string, k8s: string, leaf: LeafDef, start: number, end: number) {
  const id = leaf.name.replace(/[^a-z0-9]/gi, '_');
  const keyFile = join(work, `${id}.key`);
  const newKey = leaf.key === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
  await run('openssl', ['req', '-new', ...newKey, '-nodes', '-keyout', keyFile, '-out', `${work}/${id}.csr`, '-subj', leaf.subject]);
  const ext = ['[v3]', 'basicConstraints=critical,CA:FALSE', `keyUsage=critical,digitalSignature${leaf.key === 'ec' ? '' : ',keyEncipherment'}`,
    `extendedKeyUsage=${leaf.eku}`, 'authorityKeyIdentifier=keyid', ...(leaf.sans ? [`subjectAltName=${leaf.sans}`] : [])];
  writeFileSync(`${work}/${id}.ext`, `${ext.join('\n')}\n`);
  const caBase = join(k8s, CA_FILES[leaf.ca]);
  await run('openssl', ['ca', '-batch', '-config', config, '-cert', `${caBase}.crt`, '-keyfile', `${caBase}.key`, '-in', `${work}/${id}.csr`,
    '-out', `${work}/${id}.crt`, '-startdate', stamp(start), '-enddate', stamp(end), '-extfile', `${work}/${id}.ext`, '-extensions', 'v3', '-notext', '-preserveDN']);
  await (leaf.key === 'ec' ? toSec1(keyFile) : toPkcs1(keyFile));
  return { crt: readFileSync(`${work}/${id}.crt`, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

// kubeadm writes "RSA PRIVATE KEY" / "EC PRIVATE KEY" files; openssl 3 defaults to PKCS#8.
async function toPkcs1(file: string) {
  await run('openssl', ['rsa', '-in', file, '-out', file, '-traditional']);
}
async function toSec1(file: string) {
  await run('openssl', ['ec', '-in', file, '-out', file]);
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

function caConfig(work: string): string {
  return `[ca]\ndefault_ca=CA_default\n[CA_default]\ndatabase=${work}/index.txt\nnew_certs_dir=${work}/newcerts\nserial=${work}/serial\n` +
    'default_md=sha256\npolicy=policy_any\nunique_subject=no\nemail_in_dn=no\ncopy_extensions=none\n[policy_any]\ncommonName=supplied\norganizationName=optional\n';
}

function kubeconfig(leaf: LeafDef, caPem: Buffer, crt: string, key: string): string {
  const user = leaf.name === 'admin.conf' ? 'kubernetes-admin' : leaf.name === 'super-admin.conf' ? 'kubernetes-super-admin'
    : leaf.name === 'scheduler.conf' ? 'system:kube-scheduler' : 'system:kube-controller-manager';
  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(caPem)}
    server: https://${NODE_IP}:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: ${user}
  name: ${user}@kubernetes
current-context: ${user}@kubernetes
kind: Config
preferences: {}
users:
- name: ${user}
  user:
    client-certificate-data: ${b64(crt)}
    client-key-data: ${b64(key)}
`;
}

/** sha256 of every regular file under `root`, keyed by relative path. */
export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else out[relative(root, path)] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    }
  };
  walk(root);
  return out;
}
