// From a validated fleet file (or flags) to the clusters of this rollout: discovery, selectors, duplicates, order.

import { UsageError } from '../errors.js';
import type { KubeClient, KubeObject } from '../k8s/types.js';
import { compileGlob } from './glob.js';
import type { KubeconfigLookup, KubeconfigRead } from './kubeconfig.js';
import type { FleetFileSpec } from './load.js';
import { matchesSelector, type LabelSelector } from './selector.js';
import type { Fleet, FleetCluster } from './types.js';

export const CLUSTER_API_VERSION = 'cluster.x-k8s.io/v1beta1';

export interface ResolveOptions {
  /** --selector, ANDed with the file's. */
  selector: LabelSelector;
  /** --contexts: a glob on the contexts of --kubeconfig (or the default kubeconfig), added to the file's discovery. */
  contexts?: string;
  /** --kubeconfig, for discovery entries that name none. */
  kubeconfig?: string;
  lookup: Omit<KubeconfigLookup, 'kubeconfigPath'>;
  readContexts: (lookup: KubeconfigLookup) => Promise<KubeconfigRead>;
  /** Connects to a Cluster API management cluster. */
  openManagement: (kubeconfig: string | undefined, context: string | undefined) => Promise<KubeClient>;
}

/** Every context matching `match`, each a cluster named after it. */
async function discoverContexts(spec: { kubeconfig?: string; match: string; labels: Record<string, string>; origin: string }, options: ResolveOptions): Promise<FleetCluster[]> {
  const kubeconfig = spec.kubeconfig ?? options.kubeconfig;
  const read = await options.readContexts({ ...options.lookup, kubeconfigPath: kubeconfig });
  if (!read.ok) throw new UsageError(`${spec.origin}: ${read.problem}`);
  const glob = compileGlob(spec.match);
  return read.value.contexts
    .filter((name) => glob.test(name))
    .map((name) => ({
      name,
      connection: { kind: 'kubeconfig', ...(kubeconfig ? { kubeconfig } : {}), context: name },
      labels: { ...spec.labels },
      inputs: {},
      origin: `context "${name}" of ${read.value.label}`,
    }));
}

/** The Cluster objects of a management cluster; each is reached later through its `<name>-kubeconfig` Secret. */
async function discoverClusterApi(spec: { kubeconfig?: string; context?: string; namespace?: string; origin: string }, options: ResolveOptions): Promise<FleetCluster[]> {
  const management = { ...(spec.kubeconfig ?? options.kubeconfig ? { kubeconfig: spec.kubeconfig ?? options.kubeconfig } : {}), ...(spec.context ? { context: spec.context } : {}) };
  let items: KubeObject[];
  try {
    const kube = await options.openManagement(management.kubeconfig, management.context);
    items = (await kube.list(CLUSTER_API_VERSION, 'Cluster', spec.namespace ? { namespace: spec.namespace } : {})).items;
  } catch (error) {
    throw new UsageError(`${spec.origin}: cannot list the Cluster API clusters of the management cluster: ${(error as Error).message}`, { cause: error });
  }
  return items.map((item) => {
    const namespace = item.metadata?.namespace ?? 'default';
    const name = item.metadata?.name ?? '';
    return {
      name,
      connection: { kind: 'cluster-api', management, namespace, name },
      labels: { ...(item.metadata?.labels ?? {}) },
      inputs: {},
      origin: `Cluster ${namespace}/${name}`,
    };
  });
}

/** Clusters in rollout order: as listed (stable), or by a label's value (numbers numerically; without it, last). */
export function orderClusters(clusters: FleetCluster[], label: string | undefined): FleetCluster[] {
  if (label === undefined) return clusters;
  const compare = new Intl.Collator('en', { numeric: true }).compare;
  return [...clusters].sort((a, b) => {
    const [x, y] = [a.labels[label], b.labels[label]];
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    return compare(x, y);
  });
}

/** Discovers, filters and orders; duplicate names across listed and discovered clusters are a usage error (exit 2). */
export async function resolveFleet(spec: Omit<FleetFileSpec, 'file'> & { file?: string }, options: ResolveOptions): Promise<Fleet> {
  const found: FleetCluster[] = [...spec.clusters];
  const contexts = options.contexts !== undefined ? { ...spec.discover.contexts, labels: spec.discover.contexts?.labels ?? {}, match: options.contexts, origin: `--contexts ${options.contexts}` } : spec.discover.contexts;
  if (contexts) found.push(...(await discoverContexts(contexts, options)));
  if (spec.discover.clusterApi) found.push(...(await discoverClusterApi(spec.discover.clusterApi, options)));
  const byName = new Map<string, FleetCluster>();
  for (const cluster of found) {
    const other = byName.get(cluster.name);
    if (other) throw new UsageError(`duplicate cluster name "${cluster.name}": ${other.origin} and ${cluster.origin}`);
    byName.set(cluster.name, cluster);
  }
  const selected = found.filter((c) => matchesSelector(spec.selector, c.labels) && matchesSelector(options.selector, c.labels));
  if (selected.length === 0) {
    const why = found.length > 0 ? ` matching the selector (of ${found.length})` : contexts ? ` (no context matches ${contexts.match})` : '';
    throw new UsageError(`the fleet ${spec.name} has no cluster${why}`);
  }
  return { name: spec.name, ...(spec.file ? { file: spec.file } : {}), clusters: orderClusters(selected, spec.strategy.orderByLabel), strategy: spec.strategy };
}
