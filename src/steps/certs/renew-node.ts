// One node's renewal, in order: read, select, back up, renew, verify (restore on failure), restart, wait for /readyz.

import { StepError, toStepError } from '../../errors.js';
import type { NodeTransport } from '../../node/index.js';
import { formatDurationExact } from '../../time/duration.js';
import type { StepContext } from '../types.js';
import { backupPath, createBackup, restoreBackup } from './backup.js';
import { formatKubeadmTime } from '../../k8s/index.js';
import { readInventory } from './inventory.js';
import { checkExpirationWithKubeadm, renewWithKubeadm, type KubeadmExpiration } from './kubeadm.js';
import { LEAF_NAMES } from './layout.js';
import { applyWrites, prepareNativeRenewal, type RenewedCert } from './native.js';
import { DEFAULT_KUBELET_PKI_DIR } from './params.js';
import { waitForReadyz } from './readyz.js';
import { resolveReadyzTarget } from './readyz-target.js';
import { restartControlPlane, type Restarted } from './restart.js';
import { selectForRenewal, type Skipped } from './select.js';
import { verifyRenewed } from './verify.js';
import type { RenewCertsParams } from './renew-certs.js';

export interface NodeRenewal {
  node: string;
  /** Archive of kubernetesDir taken before anything changed (absent when nothing was due). */
  backup?: string;
  renewed: RenewedCert[];
  skipped: Skipped[];
  restarted: Restarted[];
  kubeadmCheck?: KubeadmExpiration;
  readyAfterMs?: number;
}

export function inventoryOptions(params: RenewCertsParams) {
  return {
    kubernetesDir: params.kubernetesDir,
    kubeletPkiDir: DEFAULT_KUBELET_PKI_DIR,
    include: { leaves: true, cas: true, kubelet: false },
    withLeafKeys: true,
  };
}

export function selectOptions(params: RenewCertsParams, now: number) {
  return { now, force: params.force, renewWithinMs: params.renewWithinMs };
}

export async function renewNode(node: NodeTransport, params: RenewCertsParams, ctx: StepContext): Promise<NodeRenewal> {
  const name = node.spec.name;
  ctx.progress(`${name}: reading certificates`);
  const inventory = await readInventory(node, { ...inventoryOptions(params), signal: ctx.signal });
  const now = ctx.clock.now();
  const { renew, skipped } = selectForRenewal(inventory, selectOptions(params, now));
  for (const s of skipped) ctx.log(`${name}: skipping ${s.name}: ${s.reason}`);
  if (renew.length === 0) {
    ctx.log(`${name}: nothing to renew`);
    return { node: name, renewed: [], skipped, restarted: [] };
  }

  const backup = backupPath(params.kubernetesDir, params.backupDir, now, name);
  ctx.progress(`${name}: backing up ${params.kubernetesDir}`);
  await createBackup(node, params.kubernetesDir, backup, ctx.signal);
  ctx.log(`${name}: backed up ${params.kubernetesDir} to ${backup}`);

  let renewed: RenewedCert[];
  let kubeadmCheck: KubeadmExpiration | undefined;
  try {
    ctx.progress(`${name}: renewing ${renew.length} certificate(s) (${params.strategy})`);
    if (params.strategy === 'native') {
      const prepared = await prepareNativeRenewal(inventory, renew, { now, validityMs: params.validityMs, kubernetesDir: params.kubernetesDir });
      await applyWrites(node, prepared.writes, ctx.signal);
      renewed = await verifyRenewed(node, prepared.renewed, { ...inventoryOptions(params), exactExpiry: true, signal: ctx.signal });
    } else {
      const all = renew.length === LEAF_NAMES.length;
      const kubeadmOptions = { kubeadm: params.kubeadm, kubernetesDir: params.kubernetesDir, signal: ctx.signal };
      for (const line of await renewWithKubeadm(node, all ? 'all' : renew.map((r) => r.name), kubeadmOptions)) ctx.log(`${name}: ${line}`);
      const expected = renew.map((r) => ({
        name: r.name, path: r.path, ca: r.ca!, previousExpiry: r.info!.notAfter.toISOString(), previousSerial: r.info!.serialNumber, newExpiry: '',
      }));
      renewed = await verifyRenewed(node, expected, { ...inventoryOptions(params), exactExpiry: false, signal: ctx.signal });
      kubeadmCheck = await checkExpirationWithKubeadm(node, kubeadmOptions);
      ctx.report({
        title: `${name}: kubeadm certs check-expiration`,
        columns: ['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'],
        rows: kubeadmCheck.certificates.map((c) => [c.missing ? `!MISSING! ${c.name}` : c.name, c.expires, c.residual, c.certificateAuthority ?? '', c.externallyManaged ? 'yes' : 'no']),
      });
    }
  } catch (error) {
    throw await rollBack(node, params, backup, error, ctx);
  }
  for (const r of renewed) ctx.log(`${name}: renewed ${r.name}: ${r.previousExpiry} → ${r.newExpiry}`);
  ctx.report({
    title: `${name}: renewed certificates`,
    columns: ['CERTIFICATE', 'OLD EXPIRY', 'NEW EXPIRY', 'CERTIFICATE AUTHORITY'],
    rows: renewed.map((r) => [r.name, formatKubeadmTime(Date.parse(r.previousExpiry)), formatKubeadmTime(Date.parse(r.newExpiry)), r.ca]),
  });

  const { restarted, readyAfterMs } = await restartAndWait(node, params, ctx, { backup, renewed });
  return { node: name, backup, renewed, skipped, restarted, ...(kubeadmCheck ? { kubeadmCheck } : {}), ...(readyAfterMs !== undefined ? { readyAfterMs } : {}) };
}

/** Past the verification the new certificates are in place: failures here are reported, never rolled back. */
async function restartAndWait(
  node: NodeTransport,
  params: RenewCertsParams,
  ctx: StepContext,
  done: { backup: string; renewed: RenewedCert[] },
): Promise<{ restarted: Restarted[]; readyAfterMs?: number }> {
  const name = node.spec.name;
  const { backup, renewed } = done;
  let restarted: Restarted[] = [];
  let readyAfterMs: number | undefined;
  try {
    if (params.restart.enabled) {
      ctx.progress(`${name}: restarting control-plane containers`);
      restarted = await restartControlPlane(node, {
        crictl: params.crictl,
        containers: params.restart.containers,
        attempts: params.restart.attempts,
        retryDelayMs: params.restart.retryDelayMs,
        clock: ctx.clock,
        signal: ctx.signal,
        log: (line) => ctx.log(line),
      });
    }
    if (params.readyz.enabled) {
      const target = await resolveReadyzTarget(node, params, ctx.signal);
      const ready = await waitForReadyz(name, {
        ...target,
        timeoutMs: params.readyz.timeoutMs,
        intervalMs: params.readyz.intervalMs,
        clock: ctx.clock,
        signal: ctx.signal,
        kube: ctx.kube,
        progress: ctx.progress,
        ...(ctx.network ? { network: ctx.network } : {}),
      });
      readyAfterMs = ready.waitedMs;
      ctx.log(`${name}: API server ready after ${formatDurationExact(ready.waitedMs)}`);
    }
  } catch (error) {
    const cause = toStepError(error);
    throw new StepError(
      `${name}: certificates renewed and verified (backup ${backup}), but ${restarted.length < params.restart.containers.length && params.restart.enabled ? 'restarting the control plane' : 'waiting for the API server'} failed: ${cause.message}`,
      // Permanent: a retry would find nothing due and skip the restart, hiding the problem.
      { errorClass: 'permanent', cause: error, details: { node: name, backup, renewed: renewed.map((r) => r.name), errorClass: cause.errorClass } },
    );
  }
  return { restarted, ...(readyAfterMs !== undefined ? { readyAfterMs } : {}) };
}

/** Restores the backup (even when the run is being cancelled) and explains what happened. */
async function rollBack(node: NodeTransport, params: RenewCertsParams, backup: string, error: unknown, ctx: StepContext): Promise<StepError> {
  const cause = toStepError(error);
  ctx.log(`${node.spec.name}: renewal failed (${cause.message}); restoring ${params.kubernetesDir} from ${backup}`, 'stderr');
  try {
    await restoreBackup(node, params.kubernetesDir, backup, AbortSignal.timeout(120_000));
  } catch (restoreError) {
    return toStepError(restoreError);
  }
  return new StepError(
    `${node.spec.name}: certificate renewal failed before any restart — ${params.kubernetesDir} restored from ${backup}, nothing changed: ${cause.message}`,
    { errorClass: 'permanent', cause: error, details: { node: node.spec.name, backup } },
  );
}
