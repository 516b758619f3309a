// Which clusters a fleet run covers: the --fleet file (checked, exit 2 at file:line:col), or --contexts over a
// kubeconfig, discovery done and --selector applied, before any runbook step runs anywhere.

import { homedir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Fleet, FleetFileSpec } from '../fleet/index.js';
import type { KubeClient } from '../k8s/types.js';
import type { Clock } from '../time/clock.js';
import type { CliIo } from './io.js';

export interface FleetTargetFlags {
  fleet?: string;
  contexts?: string;
  selector?: string;
  kubeconfig?: string;
  maxParallel?: number;
  maxFailures?: string;
}

/** A client for a kubeconfig and context (Cluster API management clusters). */
export async function openKubeClient(kubeconfig: string | undefined, context: string | undefined, io: CliIo, clock: Clock): Promise<KubeClient> {
  const { createKubeClient } = await import('../k8s/client.js');
  return createKubeClient({ kubeconfigPath: kubeconfig, context, env: io.env, clock });
}

/** `rehearsal` (a simulation stands behind every cluster) and `offline` (plan --offline): listed kubeconfigs are not read, no management cluster is asked. */
export async function resolveFleetTarget(flags: FleetTargetFlags, io: CliIo, clock: Clock, options: { rehearsal?: boolean; offline?: boolean } = {}): Promise<Fleet> {
  const fleetArea = await import('../fleet/index.js');
  const kubeconfig = flags.kubeconfig ? path.resolve(io.cwd, flags.kubeconfig) : undefined;
  const lookup = { env: io.env, homeDir: homedir() };
  const selector = fleetArea.parseLabelSelector(flags.selector ?? '');
  if ('error' in selector) throw new UsageError(`--selector: invalid label selector: ${selector.error}`);
  const spec: FleetFileSpec | Omit<FleetFileSpec, 'file'> = flags.fleet
    ? await fleetArea.loadFleetFile(path.resolve(io.cwd, flags.fleet), { ...lookup, ...(kubeconfig ? { kubeconfig } : {}), ...(options.rehearsal || options.offline ? { checkKubeconfigs: false } : {}) })
    : { name: `contexts ${flags.contexts ?? '*'}`, clusters: [], discover: {}, selector: [], strategy: fleetArea.DEFAULT_STRATEGY };
  if (flags.maxParallel !== undefined) spec.strategy = { ...spec.strategy, maxParallel: flags.maxParallel };
  if (flags.maxFailures !== undefined) {
    const budget = fleetArea.parseSizeText(flags.maxFailures);
    if (!budget || ('percent' in budget && budget.percent > 100)) throw new UsageError(`--max-failures: must be a count like 2 or a percentage like 5% (got ${flags.maxFailures})`);
    spec.strategy = { ...spec.strategy, maxFailures: budget };
  }
  return fleetArea.resolveFleet(spec, {
    selector: selector.selector,
    ...(flags.contexts !== undefined ? { contexts: flags.contexts } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    lookup,
    readContexts: fleetArea.readKubeconfigContexts,
    openManagement: options.rehearsal
      ? () => Promise.reject(new Error('a rehearsal contacts no management cluster: list the clusters in the fleet file instead of discovering them'))
      : options.offline
        ? () => Promise.reject(new Error('--offline contacts no cluster, and Cluster API discovery lists the management cluster: list the clusters instead'))
        : (k, c) => openKubeClient(k, c, io, clock),
  });
}
