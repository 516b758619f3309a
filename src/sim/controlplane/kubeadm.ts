// `kubeadm certs check-expiration|renew` as the real program behaves on a node's filesystem (kubeadm v1.29+ output).

import { X509Certificate } from 'node:crypto';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { loadCa } from '../../pki/ca.js';
import { reissueCertificate, detectKeyEncoding } from '../../pki/reissue.js';
import { parseCertificate } from '../../pki/certificate.js';
import { formatKubeadmTime, formatResidual } from '../../k8s/index.js';
import { parseYamlDocuments, stringifyYaml } from '../../yaml/index.js';
import { CAS, KUBERNETES_DIR, LEAVES, type CaDef, type LeafDef } from './layout.js';
import { hostPath } from './rootfs.js';

const YEAR = 365 * 86_400_000;

export interface ProgramResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface KubeadmNode {
  /** The node's root filesystem on this machine. */
  rootfs: string;
  /** Simulated now. */
  now(): number;
  /** Whether kubeadm could read its configuration from the cluster (it falls back to defaults otherwise). */
  clusterReachable(): boolean;
  /** The scenario's fault: renewals left before the next one fails with an I/O error (undefined: never). */
  renewalsBeforeFailure?: number;
}

/** Go's tabwriter with padding 3 and spaces (kubeadm: minwidth 10, crictl: 20); the last cell is not padded. */
export function tabwrite(rows: string[][], minWidth = 10): string {
  const widths = rows[0]!.map((_, i) => Math.max(minWidth, ...rows.map((r) => (r[i] ?? '').length + 3)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('').trimEnd() + '\n').join('');
}

function fail(message: string): ProgramResult {
  return { exitCode: 1, stdout: '', stderr: `${message}\nTo see the stack trace of this error execute with --v=5 or higher\n` };
}

interface Dirs {
  k8s: (rel: string) => string;
  pki: (rel: string) => string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

function embedded(text: string, field: 'client-certificate-data' | 'client-key-data'): string | undefined {
  const config = parseYamlDocuments(text, 'kubeconfig')[0] as { users?: { user?: Record<string, unknown> }[] } | undefined;
  const value = config?.users?.[0]?.user?.[field];
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

async function leafPem(dirs: Dirs, leaf: LeafDef): Promise<string | undefined> {
  if (!leaf.kubeconfig) return readText(dirs.pki(`${leaf.file.slice('pki/'.length)}.crt`));
  const text = await readText(dirs.k8s(leaf.file));
  return text === undefined ? undefined : embedded(text, 'client-certificate-data');
}

const caPath = (dirs: Dirs, ca: CaDef, ext: 'crt' | 'key') => dirs.pki(`${ca.base.slice('pki/'.length)}.${ext}`);

/** Writes beside the target and renames, as kubeadm's WriteCert/WriteKey do not, but so a reader never sees half a file. */
async function replaceFile(path: string, content: string, mode: number): Promise<void> {
  const temp = `${path}.kubeadm-tmp`;
  await writeFile(temp, content, { mode });
  await rename(temp, path);
}

async function renewLeaf(dirs: Dirs, leaf: LeafDef, now: number): Promise<string | undefined> {
  const caDef = CAS.find((c) => c.name === leaf.ca)!;
  const [caCrt, caKey] = await Promise.all([readText(caPath(dirs, caDef, 'crt')), readText(caPath(dirs, caDef, 'key'))]);
  if (caCrt === undefined) return `[renew] failed to load CA ${leaf.ca}: couldn't load the certificate file ${caPath(dirs, caDef, 'crt')}: open ${caPath(dirs, caDef, 'crt')}: no such file or directory`;
  if (caKey === undefined) return `certificate ${leaf.name} cannot be renewed: the CA key ${leaf.ca}.key is not available (external CA mode)`;
  const ca = await loadCa(caCrt, caKey);
  if (leaf.kubeconfig) {
    const path = dirs.k8s(leaf.file);
    const text = await readText(path);
    const pem = text === undefined ? undefined : embedded(text, 'client-certificate-data');
    if (text === undefined || pem === undefined) return `[renew] ${leaf.name}: open ${path}: no such file or directory`;
    const key = embedded(text, 'client-key-data');
    const issued = await reissueCertificate(parseCertificate(pem, path).cert, { ca, now: new Date(now), validityMs: YEAR, keyEncoding: key ? detectKeyEncoding(key) : undefined });
    const config = parseYamlDocuments(text, path)[0] as { users: { user: Record<string, unknown> }[]; clusters?: { cluster: Record<string, unknown> }[] };
    config.users[0]!.user['client-certificate-data'] = Buffer.from(issued.certificatePem).toString('base64');
    config.users[0]!.user['client-key-data'] = Buffer.from(issued.privateKeyPem).toString('base64');
    await replaceFile(path, stringifyYaml(config), 0o600);
    return undefined;
  }
  const crtPath = dirs.pki(`${leaf.file.slice('pki/'.length)}.crt`);
  const keyPath = dirs.pki(`${leaf.file.slice('pki/'.length)}.key`);
  const pem = await readText(crtPath);
  if (pem === undefined) return `[renew] ${leaf.name}: open ${crtPath}: no such file or directory`;
  const key = await readText(keyPath);
  const issued = await reissueCertificate(parseCertificate(pem, crtPath).cert, { ca, now: new Date(now), validityMs: YEAR, keyEncoding: key ? detectKeyEncoding(key) : undefined });
  await replaceFile(keyPath, issued.privateKeyPem, 0o600);
  await replaceFile(crtPath, issued.certificatePem, 0o644);
  return undefined;
}

/** klog's line header: severity, MMDD, time to the microsecond, thread id (kubeadm's pid stands in). */
function klogPrefix(severity: string, now: number): string {
  const d = new Date(now);
  const iso = d.toISOString();
  return `${severity}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 23)}000 ${String(process.pid).padStart(7)}`;
}

/** The preamble kubeadm prints; when the cluster cannot be read (expired certificates) klog warns on stderr. */
function readingConfig(phase: string, node: KubeadmNode): { stdout: string; stderr: string } {
  const stdout = `[${phase}] Reading configuration from the cluster...\n[${phase}] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'\n`;
  if (node.clusterReachable()) return { stdout, stderr: '' };
  return { stdout, stderr: `${klogPrefix('W', node.now())} utils.go:69] [${phase}] Error reading configuration from the Cluster. Falling back to default configuration\n` };
}

/** Runs `kubeadm ARGS` against the node's filesystem. */
export async function runKubeadm(node: KubeadmNode, args: readonly string[]): Promise<ProgramResult> {
  let rootfs = '/';
  let certDir = `${KUBERNETES_DIR}/pki`;
  const positional: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('--rootfs=')) rootfs = arg.slice('--rootfs='.length);
    else if (arg.startsWith('--cert-dir=')) certDir = arg.slice('--cert-dir='.length);
    else if (arg.startsWith('--config=') || arg.startsWith('--kubeconfig=') || arg.startsWith('--v=')) continue;
    else if (arg.startsWith('-')) return { exitCode: 1, stdout: '', stderr: `unknown flag: ${arg.split('=')[0]}\n` };
    else positional.push(arg);
  }
  // kubeadm chroots into --rootfs, so both directories are inside it.
  const base = (path: string) => hostPath(node.rootfs, `${rootfs}/${path}`);
  const dirs: Dirs = { k8s: (rel) => base(`${KUBERNETES_DIR}/${rel}`), pki: (rel) => base(`${certDir}/${rel}`) };
  if (positional[0] !== 'certs') return fail(`unknown command "${positional[0] ?? ''}" for "kubeadm"`);
  if (positional[1] === 'check-expiration') return checkExpiration(node, dirs);
  if (positional[1] === 'renew') {
    const which = positional[2];
    const leaves = which === 'all' ? LEAVES : LEAVES.filter((l) => l.name === which);
    if (!which || leaves.length === 0) return fail(`unknown command "${which ?? ''}" for "kubeadm certs renew"`);
    const preamble = readingConfig('renew', node);
    let stdout = preamble.stdout + '\n';
    for (const leaf of leaves) {
      if (node.renewalsBeforeFailure === 0) {
        node.renewalsBeforeFailure = undefined;
        const path = leaf.kubeconfig ? dirs.k8s(leaf.file) : dirs.pki(`${leaf.file.slice('pki/'.length)}.crt`);
        return { exitCode: 1, stdout, stderr: `${preamble.stderr}error execution phase: [renew] failed to write ${leaf.name}: open ${path.slice(node.rootfs.length)}: input/output error\nTo see the stack trace of this error execute with --v=5 or higher\n` };
      }
      if (node.renewalsBeforeFailure !== undefined) node.renewalsBeforeFailure--;
      const problem = await renewLeaf(dirs, leaf, node.now());
      if (problem) return { exitCode: 1, stdout, stderr: `${preamble.stderr}error execution phase: ${problem}\nTo see the stack trace of this error execute with --v=5 or higher\n` };
      stdout += `${leaf.renewMessage} renewed\n`;
    }
    if (which === 'all') stdout += '\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n';
    return { exitCode: 0, stdout, stderr: preamble.stderr };
  }
  return fail(`unknown command "${positional[1] ?? ''}" for "kubeadm certs"`);
}

async function checkExpiration(node: KubeadmNode, dirs: Dirs): Promise<ProgramResult> {
  const now = node.now();
  const caKeyPresent = new Map<string, boolean>();
  const caRows: string[][] = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']];
  for (const ca of CAS) {
    const [crt, key] = await Promise.all([readText(caPath(dirs, ca, 'crt')), readText(caPath(dirs, ca, 'key'))]);
    caKeyPresent.set(ca.name, key !== undefined);
    if (crt === undefined) {
      caRows.push([`!MISSING! ${ca.name}`, '', '', '']);
      continue;
    }
    const end = Date.parse(new X509Certificate(crt).validTo);
    caRows.push([ca.name, formatKubeadmTime(end), formatResidual(end - now), key === undefined ? 'yes' : 'no']);
  }
  const rows: string[][] = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']];
  for (const leaf of LEAVES) {
    const pem = await leafPem(dirs, leaf);
    if (pem === undefined) {
      rows.push([`!MISSING! ${leaf.name}`, '', '', '', '']);
      continue;
    }
    const end = Date.parse(new X509Certificate(pem).validTo);
    rows.push([leaf.name, formatKubeadmTime(end), formatResidual(end - now), leaf.ca, caKeyPresent.get(leaf.ca) ? 'no' : 'yes']);
  }
  const preamble = readingConfig('check-expiration', node);
  return { exitCode: 0, stdout: `${preamble.stdout}\n${tabwrite(rows)}\n${tabwrite(caRows)}`, stderr: preamble.stderr };
}
