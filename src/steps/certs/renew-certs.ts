// `renew-certs`: node by node — back up, renew, verify (restore on any failure), restart the control plane, wait for /readyz.

import { checkNodes, normalizeNodes, type NodeSpec } from '../../node/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, PlanPreview, StepType } from '../types.js';
import { formatKubeadmTime, formatResidual } from '../../k8s/index.js';
import { readInventory } from './inventory.js';
import { forEachNode } from './nodes.js';
import { DEFAULT_KUBERNETES_DIR, commonProperties, durationSchema, toMs } from './params.js';
import { CONTROL_PLANE_CONTAINERS } from './restart.js';
import { selectForRenewal } from './select.js';
import { KUBEADM_DIR_MESSAGE, kubeadmRootfs } from './kubeadm.js';
import { inventoryOptions, renewNode, selectOptions, type NodeRenewal } from './renew-node.js';

export type { NodeRenewal } from './renew-node.js';

const DAY = 86_400_000;

export interface RenewCertsOutputs extends Record<string, unknown> {
  nodes: NodeRenewal[];
  renewed: number;
  backups: string[];
}

const schema = {
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
        url: { type: 'string', pattern: '^(https://.+)?$', description: 'Probe this URL instead of the node, trusting the node\'s cluster CA.' },
        kubeconfig: {
          type: 'string',
          description: 'Probe the server of this kubeconfig on the node (e.g. `admin.conf`, relative to kubernetesDir), with its CA and client certificate.',
        },
        via: {
          enum: ['node', 'cluster'],
          default: 'node',
          description: 'Without url or kubeconfig: `node` probes the restarted node itself (https://HOST:port/readyz, HOST the ssh host or 127.0.0.1, trusting its pki/ca.crt); `cluster` probes through the run\'s cluster connection (only when that is the renewed cluster).',
        },
        port: { type: 'integer', minimum: 1, maximum: 65535, default: 6443, description: 'The API server\'s secure port on each node.' },
        timeout: durationSchema('Give up after this long.', '5m'),
        interval: durationSchema('Between probes.', '5s'),
      },
    },
  },
} as const satisfies JsonSchema;

type RenewCertsSchemaParams = ParamsFilled<typeof schema>;
type RestartFilled = NonNullable<RenewCertsSchemaParams['restart']>;
type ReadyzFilled = NonNullable<RenewCertsSchemaParams['readyz']>;

/**
 * normalize fills `restart` and `readyz` (each of their properties has a default or is optional), turns the durations
 * into ms and fills `nodes`; `readyz.url`/`kubeconfig` given as '' read as absent.
 */
export type RenewCertsParams = Omit<RenewCertsSchemaParams, 'nodes' | 'renewWithin' | 'validity' | 'restart' | 'readyz'> & {
  nodes: NodeSpec[];
  renewWithinMs: number | undefined;
  validityMs: number;
  restart: Omit<RestartFilled, 'retryDelay'> & { retryDelayMs: number };
  readyz: Omit<ReadyzFilled, 'timeout' | 'interval'> & { timeoutMs: number; intervalMs: number };
};

export const renewCertsStep: StepType<RenewCertsParams, RenewCertsOutputs, ParamsInput<typeof schema>> = {
  type: 'renew-certs',
  description: 'Renew control-plane certificates node by node (backup, renew, verify, restart, wait for /readyz)',
  schema,
  outputs: {
    nodes: { type: 'array', description: 'Per node: backup archive, renewed (old/new expiry), skipped (with reason), restarted containers.' },
    renewed: { type: 'integer', description: 'Certificates renewed on all nodes.' },
    backups: { type: 'array', description: 'Backup archive paths (on each node).' },
  },
  mutating: true,
  check(params) {
    const readyz = (params.readyz ?? {}) as Record<string, unknown>;
    const both = typeof readyz.url === 'string' && readyz.url !== '' && typeof readyz.kubeconfig === 'string' && readyz.kubeconfig !== '';
    const dir = typeof params.kubernetesDir === 'string' ? params.kubernetesDir : DEFAULT_KUBERNETES_DIR;
    const kubeadmDirIssue = (params.strategy ?? 'kubeadm') === 'kubeadm' && kubeadmRootfs(dir) === undefined;
    return [
      ...checkNodes(params.nodes),
      ...(both ? [{ path: 'readyz', message: 'give url or kubeconfig, not both' }] : []),
      ...(kubeadmDirIssue ? [{ path: 'kubernetesDir', message: `${KUBEADM_DIR_MESSAGE} (got ${dir})` }] : []),
    ];
  },
  normalize(params) {
    const restart = params.restart ?? {};
    const readyz = params.readyz ?? {};
    return {
      nodes: normalizeNodes(params.nodes),
      kubernetesDir: params.kubernetesDir ?? DEFAULT_KUBERNETES_DIR,
      strategy: params.strategy ?? 'kubeadm',
      force: params.force ?? false,
      renewWithinMs: toMs(params.renewWithin, undefined),
      validityMs: toMs(params.validity, 365 * DAY)!,
      backupDir: params.backupDir,
      kubeadm: params.kubeadm ?? 'kubeadm',
      crictl: params.crictl ?? 'crictl',
      restart: {
        enabled: restart.enabled ?? true,
        containers: restart.containers ?? CONTROL_PLANE_CONTAINERS,
        attempts: restart.attempts ?? 5,
        retryDelayMs: toMs(restart.retryDelay, 2000)!,
      },
      readyz: {
        enabled: readyz.enabled ?? true,
        url: readyz.url || undefined,
        kubeconfig: readyz.kubeconfig || undefined,
        via: readyz.via ?? 'node',
        port: readyz.port ?? 6443,
        timeoutMs: toMs(readyz.timeout, 5 * 60_000)!,
        intervalMs: toMs(readyz.interval, 5000)!,
      },
    };
  },
  async run(params, ctx) {
    const nodes = await forEachNode(params.nodes, ctx, (node) => renewNode(node, params, ctx));
    return {
      nodes,
      renewed: nodes.reduce((n, r) => n + r.renewed.length, 0),
      backups: nodes.flatMap((r) => (r.backup ? [r.backup] : [])),
    };
  },
  async plan(params, ctx) {
    const tables = await forEachNode(params.nodes, ctx, async (node, spec) => {
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
