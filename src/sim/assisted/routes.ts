// The Assisted Installer v2 REST routes procedures §2 uses: import an existing cluster, infra-envs and their discovery
// image, the cluster with its hosts, a host's install action, and events. State lives here; time comes from the clock.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../time/clock.js';
import type { AssistedInstallerSpec } from '../scenario/types.js';
import { EventLog } from './events.js';
import { hostTransitions, installedAt, viewHost, type HostRecord } from './hosts.js';
import { API_PREFIX, renderCluster, renderHost, renderInfraEnv, type ClusterRecord, type InfraEnvRecord } from './render.js';

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
}

export interface AssistedApiOptions {
  clock: Clock;
  spec: AssistedInstallerSpec;
  /** Host name the discovery image URL names (the impersonated API host). */
  imageHost: string;
  /** Called once per host when it reaches added-to-existing-cluster (its machine then boots and joins). */
  onInstalled: (hostname: string) => void;
  /** Aborted when the simulation stops. */
  signal: AbortSignal;
}

/** The service's error body: `{code, href, id, kind: "Error", reason}`. */
export function apiError(status: number, reason: string): Reply {
  return { status, body: { code: String(status), href: '', id: status, kind: 'Error', reason } };
}

export class AssistedApi {
  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly infraEnvs = new Map<string, InfraEnvRecord>();
  private readonly hosts: HostRecord[] = [];
  private readonly events = new EventLog();
  /** Transitions already turned into events, per host id. */
  private readonly logged = new Map<string, number>();
  private readonly notified = new Set<string>();
  /** Every status a host went through, in order (the rehearsal summary shows them). */
  private readonly history = new Map<string, string[]>();

  constructor(private readonly o: AssistedApiOptions) {}

  /** Hosts by requested hostname with their current status and the statuses they went through. */
  hostStates(): Array<{ name: string; status: string; history: string[] }> {
    this.sync();
    const now = this.o.clock.now();
    return this.hosts.map((h) => ({ name: h.spec.name, status: viewHost(h, now).status, history: [...(this.history.get(h.id) ?? [])] }));
  }

  handle(method: string, path: string, query: URLSearchParams, body: unknown): Reply {
    this.sync();
    const json = (body ?? {}) as Record<string, unknown>;
    if (path === '/clusters/import') return method === 'POST' ? this.importCluster(json) : apiError(405, `method ${method} not allowed`);
    if (path === '/infra-envs') return method === 'POST' ? this.createInfraEnv(json) : apiError(405, `method ${method} not allowed`);
    if (path === '/events') return method === 'GET' ? this.listEvents(query) : apiError(405, `method ${method} not allowed`);
    let m = /^\/clusters\/([^/]+)$/.exec(path);
    if (m) return method === 'GET' ? this.getCluster(m[1]!) : apiError(405, `method ${method} not allowed`);
    m = /^\/infra-envs\/([^/]+)$/.exec(path);
    if (m) return method === 'GET' ? this.getInfraEnv(m[1]!) : apiError(405, `method ${method} not allowed`);
    m = /^\/infra-envs\/([^/]+)\/hosts$/.exec(path);
    if (m) return method === 'GET' ? this.listHosts(m[1]!) : apiError(405, `method ${method} not allowed`);
    m = /^\/infra-envs\/([^/]+)\/hosts\/([^/]+)$/.exec(path);
    if (m) return method === 'GET' ? this.getHost(m[1]!, m[2]!) : apiError(405, `method ${method} not allowed`);
    m = /^\/infra-envs\/([^/]+)\/hosts\/([^/]+)\/actions\/install$/.exec(path);
    if (m) return method === 'POST' ? this.installHost(m[1]!, m[2]!) : apiError(405, `method ${method} not allowed`);
    return apiError(404, `no such endpoint: ${method} ${API_PREFIX}${path}`);
  }

  /** The discovery image behind download_url (a stand-in: nobody boots it). */
  image(id: string): Reply {
    const infraEnv = this.infraEnvs.get(id);
    if (!infraEnv) return apiError(404, `image ${id} not found`);
    return { status: 200, body: `opsbook simulated discovery image (${infraEnv.imageType}) for infra-env ${id}\n`, contentType: 'application/octet-stream' };
  }

  private importCluster(json: Record<string, unknown>): Reply {
    const missing = ['name', 'api_vip_dnsname', 'openshift_cluster_id'].filter((k) => typeof json[k] !== 'string' || json[k] === '');
    if (missing.length > 0) return apiError(400, `validation failure list: [${missing.map((k) => `${k} in body is required`).join(', ')}]`);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(String(json.openshift_cluster_id))) {
      return apiError(400, 'openshift_cluster_id in body must be of type uuid');
    }
    const now = this.o.clock.now();
    const cluster: ClusterRecord = {
      id: randomUUID(),
      name: String(json.name),
      openshiftClusterId: String(json.openshift_cluster_id),
      apiVipDnsname: String(json.api_vip_dnsname),
      createdAt: now,
    };
    this.clusters.set(cluster.id, cluster);
    this.events.add(now, { name: 'cluster_registration_succeeded', cluster_id: cluster.id, message: `Successfully registered cluster ${cluster.name} with id ${cluster.id}` });
    return { status: 201, body: renderCluster(cluster, this.visibleHosts().filter((h) => h.clusterId === cluster.id), this.o.clock.now()) };
  }

  private createInfraEnv(json: Record<string, unknown>): Reply {
    if (typeof json.name !== 'string' || json.name === '') return apiError(400, 'validation failure list: [name in body is required]');
    if (typeof json.pull_secret !== 'string') return apiError(400, 'validation failure list: [pull_secret in body is required]');
    try {
      const parsed = JSON.parse(json.pull_secret) as { auths?: unknown };
      if (typeof parsed.auths !== 'object' || parsed.auths === null) throw new Error('no auths');
    } catch {
      return apiError(400, 'Secret must be a valid JSON object with an "auths" field');
    }
    const clusterId = typeof json.cluster_id === 'string' ? json.cluster_id : '';
    if (!this.clusters.has(clusterId)) return apiError(404, `cluster ${clusterId} not found`);
    const imageType = json.image_type === undefined ? 'minimal-iso' : String(json.image_type);
    if (!['full-iso', 'minimal-iso'].includes(imageType)) return apiError(400, `image_type in body should be one of [full-iso minimal-iso]`);
    const now = this.o.clock.now();
    const infraEnv: InfraEnvRecord = { id: randomUUID(), name: json.name, clusterId, imageType, sshKey: typeof json.ssh_authorized_key === 'string' ? json.ssh_authorized_key : '', createdAt: now };
    this.infraEnvs.set(infraEnv.id, infraEnv);
    this.events.add(now, { name: 'infra_env_registration_succeeded', cluster_id: clusterId, infra_env_id: infraEnv.id, message: `Registered infra env ${infraEnv.name}` });
    // The machines boot from the first discovery image the operator creates.
    if (this.infraEnvs.size === 1) this.scheduleBoots(infraEnv);
    return { status: 201, body: renderInfraEnv(infraEnv, this.o.imageHost) };
  }

  private scheduleBoots(infraEnv: InfraEnvRecord): void {
    for (const spec of this.o.spec.hosts) {
      const host: HostRecord = { id: randomUUID(), spec, infraEnvId: infraEnv.id, clusterId: infraEnv.clusterId, registeredAt: infraEnv.createdAt + spec.bootAfter, installStartedAt: undefined };
      this.hosts.push(host);
    }
  }

  private getCluster(id: string): Reply {
    const cluster = this.clusters.get(id);
    if (!cluster) return apiError(404, `cluster ${id} not found`);
    return { status: 200, body: renderCluster(cluster, this.visibleHosts().filter((h) => h.clusterId === cluster.id), this.o.clock.now()) };
  }

  private getInfraEnv(id: string): Reply {
    const infraEnv = this.infraEnvs.get(id);
    if (!infraEnv) return apiError(404, `infra env ${id} not found`);
    return { status: 200, body: renderInfraEnv(infraEnv, this.o.imageHost) };
  }

  private listHosts(infraEnvId: string): Reply {
    if (!this.infraEnvs.has(infraEnvId)) return apiError(404, `infra env ${infraEnvId} not found`);
    return { status: 200, body: this.visibleHosts().filter((h) => h.infraEnvId === infraEnvId).map((h) => renderHost(h, this.o.clock.now())) };
  }

  private getHost(infraEnvId: string, hostId: string): Reply {
    const host = this.visibleHosts().find((h) => h.id === hostId && h.infraEnvId === infraEnvId);
    if (!host) return apiError(404, `host ${hostId} not found in infra env ${infraEnvId}`);
    return { status: 200, body: renderHost(host, this.o.clock.now()) };
  }

  private installHost(infraEnvId: string, hostId: string): Reply {
    const host = this.visibleHosts().find((h) => h.id === hostId && h.infraEnvId === infraEnvId);
    if (!host) return apiError(404, `host ${hostId} not found in infra env ${infraEnvId}`);
    const now = this.o.clock.now();
    const { status } = viewHost(host, now);
    if (status !== 'known') return apiError(409, `Host ${host.spec.name} is in ${status} state, host can be installed only in known state`);
    host.installStartedAt = now;
    this.sync();
    // The machine boots at the end of its installation whether or not anybody is polling.
    this.o.clock.sleep(host.spec.installDuration, this.o.signal).then(() => this.sync(), () => {});
    return { status: 202, body: renderHost(host, this.o.clock.now()) };
  }

  private listEvents(query: URLSearchParams): Reply {
    const pick = (k: string) => query.get(k) ?? undefined;
    return { status: 200, body: this.events.list({ cluster_id: pick('cluster_id'), infra_env_id: pick('infra_env_id'), host_id: pick('host_id') }) };
  }

  private visibleHosts(): HostRecord[] {
    const now = this.o.clock.now();
    return this.hosts.filter((h) => h.registeredAt <= now);
  }

  /** Turns every status change up to now into events and history, and boots machines whose install finished. */
  private sync(): void {
    const now = this.o.clock.now();
    for (const host of this.hosts) {
      const transitions = hostTransitions(host, now);
      const done = this.logged.get(host.id) ?? 0;
      const history = this.history.get(host.id) ?? [];
      this.history.set(host.id, history);
      for (const t of transitions.slice(done)) {
        const previous = history.at(-1);
        const name = host.spec.name;
        const ids = { cluster_id: host.clusterId, infra_env_id: host.infraEnvId, host_id: host.id };
        if (t.status === 'discovering') this.events.add(t.at, { name: 'host_registration_succeeded', ...ids, message: `Host ${name}: Successfully registered` });
        else if (t.status !== previous) {
          const detail = t.stage ? ` (${t.stage})` : '';
          this.events.add(t.at, { name: 'host_status_updated', ...ids, severity: t.status === 'insufficient' ? 'warning' : 'info', message: `Host ${name}: updated status from ${previous} to ${t.status}${detail}` });
        } else this.events.add(t.at, { name: 'host_install_progress_updated', ...ids, message: `Host ${name}: reached installation stage ${t.stage}` });
        if (t.status !== previous) history.push(t.status);
      }
      this.logged.set(host.id, transitions.length);
      const finished = installedAt(host);
      if (finished !== undefined && finished <= now && !this.notified.has(host.id)) {
        this.notified.add(host.id);
        this.o.onInstalled(host.spec.name);
      }
    }
  }
}
