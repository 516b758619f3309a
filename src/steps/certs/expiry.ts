// Classifies each certificate against the clock and the warn/fail windows, and builds the kubeadm-style tables.

import type { ReportTable } from '../../engine/events.js';
import type { CertRecord, Inventory } from './inventory.js';
import { formatKubeadmTime, formatResidual } from '../../k8s/index.js';

export type ExpiryStatus = 'ok' | 'warning' | 'failing' | 'expired' | 'missing' | 'unreadable' | 'invalid';

export interface CertExpiry {
  name: string;
  group: 'leaf' | 'ca' | 'kubelet';
  path: string;
  status: ExpiryStatus;
  /** ISO time; absent when the file could not be read. */
  expires?: string;
  /** ms left (negative when expired). */
  residualMs?: number;
  residual?: string;
  certificateAuthority?: string;
  externallyManaged: boolean;
  subject?: string;
  error?: string;
}

export interface ExpiryWindows {
  now: number;
  warnWithinMs: number;
  failWithinMs?: number;
}

export function classify(record: CertRecord, windows: ExpiryWindows): CertExpiry {
  const base = {
    name: record.name,
    group: record.group,
    path: record.path,
    certificateAuthority: record.ca,
    externallyManaged: record.externallyManaged,
  };
  if (!record.info) return { ...base, status: record.problem ?? 'missing', ...(record.error ? { error: record.error } : {}) };
  const residualMs = record.info.notAfter.getTime() - windows.now;
  const status: ExpiryStatus =
    residualMs <= 0 ? 'expired'
      : windows.failWithinMs !== undefined && residualMs <= windows.failWithinMs ? 'failing'
        : residualMs <= windows.warnWithinMs ? 'warning'
          : 'ok';
  return {
    ...base,
    status,
    expires: record.info.notAfter.toISOString(),
    residualMs,
    residual: formatResidual(residualMs),
    subject: record.info.subject,
  };
}

export function classifyInventory(inventory: Inventory, windows: ExpiryWindows, include: { leaves: boolean; cas: boolean; kubelet: boolean }): CertExpiry[] {
  return [
    ...(include.leaves ? inventory.leaves : []),
    ...(include.cas ? inventory.cas : []),
    ...(include.kubelet ? inventory.kubelet : []),
  ].map((r) => classify(r, windows));
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const expiresCell = (c: CertExpiry) => (c.expires ? formatKubeadmTime(Date.parse(c.expires)) : '');
const missingName = (c: CertExpiry) => (c.status === 'missing' || c.status === 'unreadable' || c.status === 'invalid' ? `!${c.status.toUpperCase()}! ${c.name}` : c.name);

/** The two `kubeadm certs check-expiration` tables (plus one for kubelet certificates), for one node. */
export function buildTables(node: string, certs: CertExpiry[]): ReportTable[] {
  const tables: ReportTable[] = [];
  const leaves = certs.filter((c) => c.group === 'leaf');
  const cas = certs.filter((c) => c.group === 'ca');
  const kubelet = certs.filter((c) => c.group === 'kubelet');
  if (leaves.length > 0) {
    tables.push({
      title: `${node}: certificates`,
      columns: ['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'],
      rows: leaves.map((c) => [missingName(c), expiresCell(c), c.residual ?? '', c.certificateAuthority ?? '', yesNo(c.externallyManaged)]),
    });
  }
  if (cas.length > 0) {
    tables.push({
      title: `${node}: certificate authorities`,
      columns: ['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED'],
      rows: cas.map((c) => [missingName(c), expiresCell(c), c.residual ?? '', yesNo(c.externallyManaged)]),
    });
  }
  if (kubelet.length > 0) {
    tables.push({
      title: `${node}: kubelet certificates`,
      columns: ['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'PATH'],
      rows: kubelet.map((c) => [missingName(c), expiresCell(c), c.residual ?? '', c.certificateAuthority ?? '', c.path]),
    });
  }
  return tables;
}
