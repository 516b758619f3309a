// The `kubeadm` strategy: `kubeadm certs renew` and `kubeadm certs check-expiration` on the node, output parsed.
// kubeadm knows only /etc/kubernetes (or a chroot of it through --rootfs), so that is all it is given.

import { StepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';

export interface KubeadmRow {
  name: string;
  /** As printed, e.g. `Dec 30, 2026 23:36 UTC`. */
  expires: string;
  /** ISO-8601 when the date parsed. */
  expiresAt?: string;
  residual: string;
  certificateAuthority?: string;
  externallyManaged: boolean;
  missing: boolean;
}

export interface KubeadmExpiration {
  certificates: KubeadmRow[];
  authorities: KubeadmRow[];
}

export interface KubeadmOptions {
  kubeadm: string;
  kubernetesDir: string;
  signal?: AbortSignal;
}

/** Where `kubeadm certs renew` writes: always /etc/kubernetes (the *.conf files have no flag), chrooted by --rootfs. */
export const KUBEADM_DIR = '/etc/kubernetes';

/**
 * The `--rootfs` that makes kubeadm work on `kubernetesDir`: `''` for /etc/kubernetes, `PREFIX` for
 * PREFIX/etc/kubernetes, undefined for any other directory (kubeadm would renew the wrong kubeconfigs).
 */
export function kubeadmRootfs(kubernetesDir: string): string | undefined {
  const dir = kubernetesDir.replace(/\/+$/, '');
  if (dir === KUBEADM_DIR) return '';
  if (!dir.startsWith('/') || !dir.endsWith(KUBEADM_DIR)) return undefined;
  const prefix = dir.slice(0, -KUBEADM_DIR.length);
  return prefix.split('/').some((part) => part === '..' || part === '.') ? undefined : prefix;
}

export const KUBEADM_DIR_MESSAGE =
  `the kubeadm strategy needs ${KUBEADM_DIR} or PREFIX${KUBEADM_DIR} (run with --rootfs=PREFIX): \`kubeadm certs renew\` ` +
  `always rewrites the kubeconfigs in ${KUBEADM_DIR}; use strategy: native for another directory`;

function rootfsFlags(kubernetesDir: string): string[] {
  const rootfs = kubeadmRootfs(kubernetesDir);
  if (rootfs === undefined) throw new StepError(`kubernetesDir ${kubernetesDir}: ${KUBEADM_DIR_MESSAGE}`, { errorClass: 'permanent' });
  return rootfs === '' ? [] : [`--rootfs=${rootfs}`];
}

/** `kubeadm certs renew all`, or one `kubeadm certs renew NAME` per selected certificate. */
export async function renewWithKubeadm(node: NodeTransport, names: string[] | 'all', options: KubeadmOptions): Promise<string[]> {
  const output: string[] = [];
  for (const name of names === 'all' ? ['all'] : names) {
    const result = await node.runChecked([options.kubeadm, 'certs', 'renew', name, ...rootfsFlags(options.kubernetesDir)], { signal: options.signal });
    output.push(...result.stdout.split('\n').filter((l) => l.trim() !== ''));
  }
  return output;
}

export async function checkExpirationWithKubeadm(node: NodeTransport, options: KubeadmOptions): Promise<KubeadmExpiration> {
  const result = await node.runChecked([options.kubeadm, 'certs', 'check-expiration', ...rootfsFlags(options.kubernetesDir)], { signal: options.signal });
  return parseCheckExpiration(result.stdout);
}

/** Parses both tables of `kubeadm certs check-expiration` by the header's column positions. */
export function parseCheckExpiration(text: string): KubeadmExpiration {
  const out: KubeadmExpiration = { certificates: [], authorities: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!;
    const isCaTable = header.startsWith('CERTIFICATE AUTHORITY ');
    const isLeafTable = !isCaTable && header.startsWith('CERTIFICATE ') && header.includes('RESIDUAL TIME');
    if (!isCaTable && !isLeafTable) continue;
    const names = isCaTable
      ? ['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']
      : ['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'];
    const starts = columnStarts(header, names);
    for (i = i + 1; i < lines.length && lines[i]!.trim() !== ''; i++) {
      const line = lines[i]!;
      // kubeadm prints a missing certificate as `!MISSING! name` alone on its row, wider than the first column.
      const cells = line.startsWith('!MISSING!') ? [line.trim()] : starts.map((start, c) => line.slice(start, starts[c + 1] ?? undefined).trim());
      const row = toRow(cells, isCaTable);
      (isCaTable ? out.authorities : out.certificates).push(row);
    }
  }
  return out;
}

function columnStarts(header: string, names: string[]): number[] {
  let from = 0;
  return names.map((name) => {
    const at = header.indexOf(name, from);
    from = at + name.length;
    return at;
  });
}

function toRow(cells: string[], isCaTable: boolean): KubeadmRow {
  const rawName = cells[0]!;
  const missing = rawName.startsWith('!MISSING!');
  const expires = cells[1] ?? '';
  const parsed = Date.parse(expires.replace(/ UTC$/, ' GMT'));
  return {
    name: missing ? rawName.replace('!MISSING!', '').trim() : rawName,
    expires,
    ...(Number.isNaN(parsed) ? {} : { expiresAt: new Date(parsed).toISOString() }),
    residual: cells[2] ?? '',
    ...(isCaTable ? {} : { certificateAuthority: cells[3] ?? '' }),
    externallyManaged: (isCaTable ? cells[3] : cells[4]) === 'yes',
    missing,
  };
}
