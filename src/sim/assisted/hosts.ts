// A host's life cycle as a function of simulated time: registration after boot, discovery, validations failing then
// passing (or not), the install action, its progress stages, and added-to-existing-cluster.

import type { AssistedHostSpec } from '../scenario/types.js';
import { allPassAfter, evaluateValidations, type ValidationResult } from './validations.js';

/** Inventory arrives this long after registration; until then the host is `discovering`. */
export const DISCOVERY_MS = 60_000;

/** The installation stages of a day-2 worker, each starting at a fraction of the install duration. */
const STAGES: ReadonlyArray<{ from: number; status: string; stage: string }> = [
  { from: 0, status: 'installing', stage: 'Starting installation' },
  { from: 0.05, status: 'installing-in-progress', stage: 'Installing' },
  { from: 0.15, status: 'installing-in-progress', stage: 'Writing image to disk' },
  { from: 0.75, status: 'installing-in-progress', stage: 'Rebooting' },
  { from: 1, status: 'added-to-existing-cluster', stage: 'Done' },
];

export interface HostRecord {
  id: string;
  spec: AssistedHostSpec;
  infraEnvId: string;
  clusterId: string;
  /** Simulated epoch ms. */
  registeredAt: number;
  installStartedAt: number | undefined;
}

export interface HostView {
  status: string;
  statusInfo: string;
  stage: string;
  percentage: number;
  validations: ValidationResult[];
}

/** One change of status or stage, at the simulated time it happens. */
export interface HostTransition {
  at: number;
  status: string;
  stage: string;
}

/** What the host looks like at `now`. */
export function viewHost(host: HostRecord, now: number): HostView {
  const validations = evaluateValidations(host.spec, now - host.registeredAt);
  if (host.installStartedAt === undefined) {
    if (now - host.registeredAt < DISCOVERY_MS) {
      return { status: 'discovering', statusInfo: 'Waiting for host to send hardware details', stage: '', percentage: 0, validations };
    }
    const bad = validations.filter((v) => v.status !== 'success');
    if (bad.length === 0) return { status: 'known', statusInfo: 'Host is ready to be installed', stage: '', percentage: 0, validations };
    const statusInfo = `Host cannot be installed due to following failing validation(s): ${bad.map((v) => v.message).join(' ; ')}`;
    return { status: 'insufficient', statusInfo, stage: '', percentage: 0, validations };
  }
  const fraction = (now - host.installStartedAt) / host.spec.installDuration;
  const current = [...STAGES].reverse().find((s) => fraction >= s.from)!;
  const percentage = current.status === 'added-to-existing-cluster' ? 100 : Math.min(99, Math.floor(fraction * 100));
  const statusInfo = current.status === 'added-to-existing-cluster' ? 'Host has rebooted and no further updates will be posted. Please check console for progress and to possibly approve pending CSRs' : current.stage;
  return { status: current.status, statusInfo, stage: current.stage, percentage, validations };
}

/**
 * Every status or stage change up to `now`, in order. Append-only as time goes on: the install action is only taken in
 * `known`, after every earlier change.
 */
export function hostTransitions(host: HostRecord, now: number): HostTransition[] {
  const out: HostTransition[] = [{ at: host.registeredAt, status: 'discovering', stage: '' }];
  const discovered = host.registeredAt + DISCOVERY_MS;
  const passAfter = allPassAfter(host.spec);
  const knownAt = passAfter === undefined ? undefined : Math.max(discovered, host.registeredAt + passAfter);
  if (knownAt !== discovered) out.push({ at: discovered, status: 'insufficient', stage: '' });
  if (knownAt !== undefined) out.push({ at: knownAt, status: 'known', stage: '' });
  if (host.installStartedAt !== undefined) {
    for (const s of STAGES) out.push({ at: host.installStartedAt + s.from * host.spec.installDuration, status: s.status, stage: s.stage });
  }
  return out.filter((t) => t.at <= now);
}

/** Simulated epoch ms when the host reaches added-to-existing-cluster (undefined before the install action). */
export function installedAt(host: HostRecord): number | undefined {
  return host.installStartedAt === undefined ? undefined : host.installStartedAt + host.spec.installDuration;
}
