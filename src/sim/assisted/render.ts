// The Assisted Installer's JSON shapes (cluster, infra-env, host) as the v2 API returns them, from the simulation's
// records at a given simulated time.

import { viewHost, type HostRecord } from './hosts.js';
import { renderValidationsInfo } from './validations.js';

export const API_PREFIX = '/api/assisted-install/v2';
export const IMAGES_PREFIX = '/api/assisted-images/images/';

export interface ClusterRecord {
  id: string;
  name: string;
  openshiftClusterId: string;
  apiVipDnsname: string;
  createdAt: number;
}

export interface InfraEnvRecord {
  id: string;
  name: string;
  clusterId: string;
  imageType: string;
  sshKey: string;
  createdAt: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A day-2 cluster with its registered hosts. */
export function renderCluster(cluster: ClusterRecord, hosts: HostRecord[], now: number): Record<string, unknown> {
  return {
    kind: 'AddHostsCluster',
    id: cluster.id,
    href: `${API_PREFIX}/clusters/${cluster.id}`,
    name: cluster.name,
    openshift_cluster_id: cluster.openshiftClusterId,
    api_vip_dnsname: cluster.apiVipDnsname,
    status: 'adding-hosts',
    status_info: 'cluster is adding hosts to existing OCP cluster',
    created_at: iso(cluster.createdAt),
    hosts: hosts.map((h) => renderHost(h, now)),
  };
}

/** An infra-env; its download_url names the impersonated API host, as the real one is served from api.openshift.com. */
export function renderInfraEnv(infraEnv: InfraEnvRecord, imageHost: string): Record<string, unknown> {
  const expires = infraEnv.createdAt + 4 * 3_600_000;
  return {
    kind: 'InfraEnv',
    id: infraEnv.id,
    href: `${API_PREFIX}/infra-envs/${infraEnv.id}`,
    name: infraEnv.name,
    cluster_id: infraEnv.clusterId,
    type: infraEnv.imageType,
    cpu_architecture: 'x86_64',
    pull_secret_set: true,
    ssh_authorized_key: infraEnv.sshKey,
    created_at: iso(infraEnv.createdAt),
    expires_at: iso(expires),
    download_url: `https://${imageHost}${IMAGES_PREFIX}${infraEnv.id}?arch=x86_64&type=${infraEnv.imageType}&version=4.14`,
  };
}

/** A host as the cluster and infra-env routes list it; validations_info is a JSON string, as the service sends it. */
export function renderHost(host: HostRecord, now: number): Record<string, unknown> {
  const view = viewHost(host, now);
  return {
    kind: 'AddToExistingClusterHost',
    id: host.id,
    href: `${API_PREFIX}/infra-envs/${host.infraEnvId}/hosts/${host.id}`,
    infra_env_id: host.infraEnvId,
    cluster_id: host.clusterId,
    requested_hostname: host.spec.name,
    role: 'worker',
    status: view.status,
    status_info: view.statusInfo,
    validations_info: renderValidationsInfo(view.validations),
    progress: { current_stage: view.stage, installation_percentage: view.percentage },
    created_at: iso(host.registeredAt),
  };
}
