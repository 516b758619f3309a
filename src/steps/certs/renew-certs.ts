// `renew-certs`: node by node — back up, renew, verify (restore on any failure), restart the control plane, wait for /readyz.

import { StepError, toStepError } from '../../errors.js';
import { checkNodes, normalizeNodes, type NodeSpec, type NodeTransport } from '../../node/index.js';
import { formatDuration } from '../../runbook/duration.js';
import type { JsonSchema, PlanPreview, StepContext, StepType } from '../types.js';
import { backupPath, createBackup, restoreBackup } from './backup.js';
import { formatKubeadmTime, formatResidual } from './residual.js';
import { readInventory } from './inventory.js';
import { checkExpirationWithKubeadm, renewWithKubeadm, type KubeadmExpiration } from './kubeadm.js';
import { LEAF_NAMES, joinNodePath } from './layout.js';
import { applyWrites, prepareNativeRenewal, type RenewedCert } from './native.js';
import { forEachNode } from './nodes.js';
import { DEFAULT_KUBELET_PKI_DIR, DEFAULT_KUBERNETES_DIR, commonProperties, durationSchema, toMs } from './params.js';
import { waitForReadyz } from './readyz.js';
import { CONTROL_PLANE_CONTAINERS, restartControlPlane, type Restarted } from './restart.js';
import { selectForRenewal, type Skipped } from './select.js';
import { verifyRenewed } from './verify.js';

const DAY = 86_400_000;

export interface RenewCertsParams {
  nodes: NodeSpec[];
  kubernetesDir: string;
  strategy: 'kubeadm' | 'native';
  force: boolean;
  renewWithinMs: number | undefined;
  validityMs: number;
  backupDir: string | undefined;
  kubeadm: string;
  crictl: string;
  restart: { enabled: boolean; containers: string[]; attempts: number; retryDelayMs: number };
  readyz: { enabled: boolean; url: string | undefined; timeoutMs: number; intervalMs: number };
}

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

export interface RenewCertsOutputs extends Record<string, unknown> {
  nodes: NodeRenewal[];
  renewed: number;
  backups: string[];
}

const schema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'renew-certs',
  description: 'Renews kubeadm-managed control-plane certificates node by node, with backup, verification and rollback.',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...commonProperties,
    strategy: {
      enum: ['kubeadm', 'native'],
      default: 'kubeadm',
      description: '`kubeadm`: run `kubeadm certs renew` on the node; `native`: opsbook re-issues each leaf with the node\'s CA (hosts without kubeadm).',
    },
    renewWithin: durationSchema('Renew only certificates expiring within this (default: all, like `kubeadm certs renew all`).'),
    force: { type: 'boolean', default: false, description: 'Renew every certificate, whatever its expiry.' },
    validity: durationSchema('Lifetime of natively renewed certificates (never past the CA\'s expiry).', '365d'),
    backupDir: { type: 'string', minLength: 1, description: 'Directory on the node for the backup archive (default: beside kubernetesDir).' },
    kubeadm: { type: 'string', minLength: 1, default: 'kubeadm', description: 'kubeadm program on the node.' },
    crictl: { type: 'string', minLength: 1, default: 'crictl', description: 'crictl program on the node.' },
    restart: {
      type: 'object',
      additionalProperties: false,
      description: 'Restart of the control-plane containers after renewal.',
      properties: {
        enabled: { type: 'boolean', default: true },
        containers: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, default: CONTROL_PLANE_CONTAINERS, description: 'Exact container names.' },
        attempts: { type: 'integer', minimum: 1, default: 5, description: 'Tries per `crictl stop` answering DeadlineExceeded.' },
        retryDelay: durationSchema('Pause between stop attempts.', '2s'),
      },
    },
    readyz: {
      type: 'object',
      additionalProperties: false,
      description: 'Wait for the API server after each node\'s restart.',
      properties: {
        enabled: { type: 'boolean', default: true },
        url: { type: 'string', pattern: '^(https://.+)?$', description: 'Probe this URL, trusting the node\'s cluster CA (empty/absent: /readyz through the run\'s cluster connection).' },
        timeout: durationSchema('Give up after this long.', '5m'),
        interval: durationSchema('Between probes.', '5s'),
      },
    },
  },
};

export const renewCertsStep: StepType<RenewCertsParams, RenewCertsOutputs> = {
  type: 'renew-certs',
  description: 'Renew control-plane certificates node by node (backup, renew, verify, restart, wait for /readyz)',
  schema,
  outputs: {
    nodes: { type: 'array', description: 'Per node: backup archive, renewed (old/new expiry), skipped (with reason), restarted containers.' },
    renewed: { type: 'integer', description: 'Certificates renewed on all nodes.' },
    backups: { type: 'array', description: 'Backup archive paths (on each node).' },
  },
  mutating: true,
  check: (params) => checkNodes(params.nodes),
  normalize(params) {
    const restart = (params.restart ?? {}) as Record<string, unknown>;
    const readyz = (params.readyz ?? {}) as Record<string, unknown>;
    return {
      nodes: normalizeNodes(params.nodes),
      kubernetesDir: (params.kubernetesDir as string | undefined) ?? DEFAULT_KUBERNETES_DIR,
      strategy: params.strategy === 'native' ? 'native' : 'kubeadm',
      force: params.force === true,
      renewWithinMs: toMs(params.renewWithin, undefined),
      validityMs: toMs(params.validity, 365 * DAY)!,
      backupDir: params.backupDir as string | undefined,
      kubeadm: (params.kubeadm as string | undefined) ?? 'kubeadm',
      crictl: (params.crictl as string | undefined) ?? 'crictl',
      restart: {
        enabled: restart.enabled !== false,
        containers: (restart.containers as string[] | undefined) ?? CONTROL_PLANE_CONTAINERS,
        attempts: (restart.attempts as number | undefined) ?? 5,
        retryDelayMs: toMs(restart.retryDelay, 2000)!,
      },
      readyz: {
        enabled: readyz.enabled !== false,
        url: (readyz.url as string | undefined) || undefined,
        timeoutMs: toMs(readyz.timeout, 5 * 60_000)!,
        intervalMs: toMs(readyz.interval, 5000)!,
      },
    };
  },
  async run(params, ctx) {
    const nodes = await forEachNode(params.nodes, ctx.exec, (node) => renewNode(node, params, ctx));
    return {
      nodes,
      renewed: nodes.reduce((n, r) => n + r.renewed.length, 0),
      backups: nodes.flatMap((r) => (r.backup ? [r.backup] : [])),
    };
  },
  async plan(params, ctx) {
    const tables = await forEachNode(params.nodes, ctx.exec, async (node, spec) => {
      const inventory = await readInventory(node, { ...inventoryOptions(params), signal: ctx.signal });
      const { renew, skipped } = selectForRenewal(inventory, selectOptions(params, ctx.clock.now()));
      const rows = [
        ...renew.map((r) => [r.name, formatKubeadmTime(r.info!.notAfter.getTime()), formatResidual(r.info!.notAfter.getTime() - ctx.clock.now()), r.ca!, 'renew']),
        ...skipped.map((s) => [s.name, '', '', '', `skip: ${s.reason}`]),
      ];
      return { title: `${spec.name}: certificates (${params.strategy})`, columns: ['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'ACTION'], rows, count: renew.length };
    });
    const total = tables.reduce((n, t) => n + t.count, 0);
    const preview: PlanPreview = {
      summary: `would renew ${total} certificate(s) on ${params.nodes.length} node(s) with ${params.strategy}, one node at a time (backup first${params.restart.enabled ? ', then restart the control plane' : ''})`,
      tables: tables.map(({ count: _count, ...table }) => table),
    };
    return preview;
  },
};

function inventoryOptions(params: RenewCertsParams) {
  return {
    kubernetesDir: params.kubernetesDir,
    kubeletPkiDir: DEFAULT_KUBELET_PKI_DIR,
    include: { leaves: true, cas: true, kubelet: false },
    withLeafKeys: true,
  };
}

function selectOptions(params: RenewCertsParams, now: number) {
  return { now, force: params.force, renewWithinMs: params.renewWithinMs };
}

async function renewNode(node: NodeTransport, params: RenewCertsParams, ctx: StepContext): Promise<NodeRenewal> {
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

  // Past this point the new certificates are in place and verified: failures are reported, never rolled back.
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
      const caPem = params.readyz.url ? (await node.readFile(joinNodePath(params.kubernetesDir, 'pki/ca.crt'), ctx.signal)).toString() : undefined;
      const ready = await waitForReadyz(name, {
        url: params.readyz.url,
        caPem,
        timeoutMs: params.readyz.timeoutMs,
        intervalMs: params.readyz.intervalMs,
        clock: ctx.clock,
        signal: ctx.signal,
        kube: ctx.kube,
        progress: ctx.progress,
      });
      readyAfterMs = ready.waitedMs;
      ctx.log(`${name}: API server ready after ${formatDuration(ready.waitedMs)}`);
    }
  } catch (error) {
    const cause = toStepError(error);
    throw new StepError(
      `${name}: certificates renewed and verified (backup ${backup}), but ${restarted.length < params.restart.containers.length && params.restart.enabled ? 'restarting the control plane' : 'waiting for the API server'} failed: ${cause.message}`,
      // Permanent: a retry would find nothing due and skip the restart, hiding the problem.
      { errorClass: 'permanent', cause: error, details: { node: name, backup, renewed: renewed.map((r) => r.name), errorClass: cause.errorClass } },
    );
  }
  return { node: name, backup, renewed, skipped, restarted, ...(kubeadmCheck ? { kubeadmCheck } : {}), ...(readyAfterMs !== undefined ? { readyAfterMs } : {}) };
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
