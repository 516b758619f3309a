// Backup and byte-identical restore of kubernetesDir, as a tar archive on the node itself.

import { StepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';

// Extract beside the target, then swap directories, so a failed extraction never leaves a half-restored tree.
const RESTORE_SCRIPT = `set -e
dir=$1; archive=$2
parent=$(dirname "$dir"); base=$(basename "$dir")
tmp=$(mktemp -d "$parent/.opsbook-restore-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xzpf "$archive"
[ -d "$tmp/$base" ]
if [ -e "$dir" ]; then mv "$dir" "$tmp/replaced"; fi
mv "$tmp/$base" "$dir"`;

// Never overwrites an earlier backup: the archive name is unique per node and second.
const BACKUP_SCRIPT = `set -e
dir=$1; archive=$2
if [ -e "$archive" ]; then echo "$archive already exists; refusing to overwrite a backup" >&2; exit 1; fi
mkdir -p "$(dirname "$archive")"
tar -C "$(dirname "$dir")" -czpf "$archive.partial" "$(basename "$dir")"
mv -f "$archive.partial" "$archive"`;

/** `kubernetes-backup-20261123T184501Z-cp-1.tar.gz`-style archive path for a directory. */
export function backupPath(kubernetesDir: string, backupDir: string | undefined, now: number, nodeName: string): string {
  const trimmed = kubernetesDir.replace(/\/+$/, '');
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1) || 'kubernetes';
  const dir = backupDir ?? (trimmed.slice(0, trimmed.lastIndexOf('/')) || '/');
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const node = nodeName.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${dir.replace(/\/+$/, '')}/${base}-backup-${stamp}-${node}.tar.gz`;
}

export async function createBackup(node: NodeTransport, kubernetesDir: string, archive: string, signal?: AbortSignal): Promise<void> {
  const result = await node.run(['sh', '-c', BACKUP_SCRIPT, 'sh', kubernetesDir, archive], { signal });
  if (result.exitCode !== 0) {
    throw new StepError(`${node.spec.name}: backing up ${kubernetesDir} to ${archive} failed, nothing was changed: ${result.stderr.trim()}`, {
      errorClass: 'permanent',
    });
  }
}

/** Puts kubernetesDir back exactly as archived (contents, modes, times). */
export async function restoreBackup(node: NodeTransport, kubernetesDir: string, archive: string, signal?: AbortSignal): Promise<void> {
  const result = await node.run(['sh', '-c', RESTORE_SCRIPT, 'sh', kubernetesDir, archive], { signal });
  if (result.exitCode !== 0) {
    throw new StepError(`${node.spec.name}: RESTORE FAILED — ${kubernetesDir} may be half-renewed; restore it by hand from ${archive}: ${result.stderr.trim()}`, {
      errorClass: 'permanent',
    });
  }
}
