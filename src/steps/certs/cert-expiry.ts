// `cert-expiry`: the `kubeadm certs check-expiration` view of every node, parsed natively, with warn/fail windows.

import { StepError } from '../../errors.js';
import { formatDurationExact } from '../../time/duration.js';
import { checkNodes, normalizeNodes, type NodeSpec } from '../../node/index.js';
import type { ParamsFilled, ParamsInput } from '../params-type.js';
import type { JsonSchema, StepType } from '../types.js';
import { buildTables, classifyInventory, type CertExpiry } from './expiry.js';
import { readInventory } from './inventory.js';
import { forEachNode } from './nodes.js';
import { DEFAULT_KUBELET_PKI_DIR, DEFAULT_KUBERNETES_DIR, commonProperties, durationSchema, toMs } from './params.js';

export interface NodeExpiry {
  node: string;
  certificates: CertExpiry[];
}

export interface CertExpiryOutputs extends Record<string, unknown> {
  nodes: NodeExpiry[];
  /** Certificates (all nodes) expired or expiring within warnWithin. */
  expiring: number;
  expired: number;
  /** Files missing, unreadable or not a certificate. */
  missing: number;
  /** Earliest expiry seen (ISO), if any certificate was read. */
  soonestExpiry: string | undefined;
}

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'cert-expiry',
  description: 'Checks the expiry of the certificates kubeadm manages (and the kubelet\'s), per node.',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...commonProperties,
    kubeletPkiDir: { type: 'string', minLength: 1, default: DEFAULT_KUBELET_PKI_DIR, description: 'Where the kubelet keeps kubelet-client-current.pem / kubelet-server-current.pem.' },
    certificates: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['control-plane', 'ca', 'kubelet'] },
      default: ['control-plane', 'ca', 'kubelet'],
      description: 'Which groups to check: kubeadm leaf certificates, the CAs, the kubelet\'s certificates.',
    },
    warnWithin: durationSchema('Flag certificates expiring within this (e.g. `30d`).', '30d'),
    failWithin: durationSchema('Fail the step when any certificate expires within this (expired ones included).'),
  },
} as const satisfies JsonSchema;

type CertExpirySchemaParams = ParamsFilled<typeof schema>;

export type CertificateGroup = CertExpirySchemaParams['certificates'][number];

/** normalize turns `certificates` into `include` flags and the durations into ms, and fills `nodes`. */
export type CertExpiryParams = Omit<CertExpirySchemaParams, 'nodes' | 'certificates' | 'warnWithin' | 'failWithin'> & {
  nodes: NodeSpec[];
  include: { leaves: boolean; cas: boolean; kubelet: boolean };
  warnWithinMs: number;
  failWithinMs: number | undefined;
};

export const certExpiryStep: StepType<CertExpiryParams, CertExpiryOutputs, ParamsInput<typeof schema>> = {
  type: 'cert-expiry',
  description: 'Report certificate expiry on control-plane nodes (kubeadm check-expiration table), optionally failing',
  schema,
  outputs: {
    nodes: { type: 'array', description: 'Per node: every certificate with status, expires, residual time, CA, externally managed.' },
    expiring: { type: 'integer', description: 'Certificates expired or expiring within warnWithin.' },
    expired: { type: 'integer', description: 'Certificates already expired.' },
    missing: { type: 'integer', description: 'Certificate files missing, unreadable or invalid.' },
    soonestExpiry: { type: 'string', description: 'Earliest expiry among the certificates read (ISO-8601).' },
  },
  mutating: false,
  check: (params) => checkNodes(params.nodes),
  normalize(params) {
    const groups: readonly CertificateGroup[] = params.certificates ?? schema.properties.certificates.default;
    return {
      nodes: normalizeNodes(params.nodes),
      kubernetesDir: params.kubernetesDir ?? DEFAULT_KUBERNETES_DIR,
      kubeletPkiDir: params.kubeletPkiDir ?? DEFAULT_KUBELET_PKI_DIR,
      include: { leaves: groups.includes('control-plane'), cas: groups.includes('ca'), kubelet: groups.includes('kubelet') },
      warnWithinMs: toMs(params.warnWithin, 30 * 86_400_000)!,
      failWithinMs: toMs(params.failWithin, undefined),
    };
  },
  async run(params, ctx) {
    const nodes = await forEachNode(params.nodes, ctx, async (node, spec) => {
      ctx.progress(`reading certificates on ${spec.name}`);
      const inventory = await readInventory(node, { ...params, signal: ctx.signal });
      const certificates = classifyInventory(inventory, windowsOf(params, ctx.clock.now()), params.include);
      for (const table of buildTables(spec.name, certificates)) ctx.report(table);
      for (const c of certificates) {
        if (c.status === 'expired') ctx.log(`${spec.name}: ${c.name} EXPIRED on ${c.expires} (${c.path})`, 'stderr');
        else if (c.status === 'failing' || c.status === 'warning') ctx.log(`${spec.name}: ${c.name} expires in ${c.residual} (${c.expires})`, 'stderr');
        else if (c.status !== 'ok') ctx.log(`${spec.name}: ${c.name} ${c.status}: ${c.error ?? c.path}`, 'stderr');
      }
      return { node: spec.name, certificates };
    });
    const outputs = summarise(nodes);
    const failing = nodes.flatMap((n) => n.certificates.filter((c) => c.status === 'failing' || c.status === 'expired').map((c) => `${n.node}/${c.name}`));
    if (params.failWithinMs !== undefined && failing.length > 0) {
      throw new StepError(
        `${failing.length} certificate(s) expired or expiring within ${formatDurationExact(params.failWithinMs)}: ${failing.join(', ')}`,
        { errorClass: 'permanent', details: outputs },
      );
    }
    return outputs;
  },
  // Reading certificates is read-only, so plan shows the same tables the run will.
  async plan(params, ctx) {
    const nodes = await forEachNode(params.nodes, ctx, async (node, spec) => {
      const inventory = await readInventory(node, { ...params, signal: ctx.signal });
      return { node: spec.name, certificates: classifyInventory(inventory, windowsOf(params, ctx.clock.now()), params.include) };
    });
    const outputs = summarise(nodes);
    return {
      summary: `${outputs.expired} expired, ${outputs.expiring} expiring within ${formatDurationExact(params.warnWithinMs)}, ${outputs.missing} missing on ${nodes.map((n) => n.node).join(', ')}` +
        (params.failWithinMs !== undefined ? ` (fails when any expires within ${formatDurationExact(params.failWithinMs)})` : ''),
      tables: nodes.flatMap((n) => buildTables(n.node, n.certificates)),
    };
  },
};

function windowsOf(params: CertExpiryParams, now: number) {
  return { now, warnWithinMs: params.warnWithinMs, failWithinMs: params.failWithinMs };
}

function summarise(nodes: NodeExpiry[]): CertExpiryOutputs {
  const all = nodes.flatMap((n) => n.certificates);
  const expiries = all.filter((c) => c.expires).map((c) => c.expires!).sort();
  return {
    nodes,
    expiring: all.filter((c) => c.status === 'warning' || c.status === 'failing' || c.status === 'expired').length,
    expired: all.filter((c) => c.status === 'expired').length,
    missing: all.filter((c) => c.status === 'missing' || c.status === 'unreadable' || c.status === 'invalid').length,
    soonestExpiry: expiries[0],
  };
}
