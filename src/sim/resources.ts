// The resource types the simulated API server knows, described once so discovery, routing and tables agree.

export interface ResourceDef {
  group: string;
  version: string;
  /** Plural resource name used in URLs. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  subresources: string[];
  /** Spec changes bump metadata.generation. */
  generation: boolean;
  /** Create/update on the main resource drop status (it has a /status subresource that owns it). */
  statusOwnedBySubresource: boolean;
  categories: string[];
  /** Resources served by a CRD in a real cluster: merge patch only, no strategic merge. */
  custom: boolean;
  /** `group/version` or `v1` for the core group. */
  apiVersion: string;
  /** `resource.group` (or `resource` for core), the key used by counters and the store. */
  key: string;
  /** Verbs discovery lists when not every verb is served (the create-only review resources). */
  verbs?: string[];
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const RESOURCE_VERBS = ALL_VERBS;

type Spec = Omit<ResourceDef, 'apiVersion' | 'key' | 'shortNames' | 'subresources' | 'generation' | 'statusOwnedBySubresource' | 'categories' | 'custom'> &
  Partial<Pick<ResourceDef, 'shortNames' | 'subresources' | 'generation' | 'statusOwnedBySubresource' | 'categories' | 'custom'>>;

function define(spec: Spec): ResourceDef {
  const apiVersion = spec.group ? `${spec.group}/${spec.version}` : spec.version;
  return {
    shortNames: [],
    subresources: [],
    generation: false,
    statusOwnedBySubresource: false,
    categories: [],
    custom: false,
    ...spec,
    apiVersion,
    key: spec.group ? `${spec.resource}.${spec.group}` : spec.resource,
  };
}

export const RESOURCES: ResourceDef[] = [
  define({ group: '', version: 'v1', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], subresources: ['status'] }),
  define({ group: '', version: 'v1', resource: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], subresources: ['status'] }),
  define({ group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true }),
  define({ group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
  define({ group: '', version: 'v1', resource: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', kind: 'PersistentVolumeClaim', namespaced: true, shortNames: ['pvc'], subresources: ['status'], statusOwnedBySubresource: true }),
  define({ group: '', version: 'v1', resource: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], subresources: ['status', 'log', 'eviction'], categories: ['all'] }),
  define({ group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests', singular: 'certificatesigningrequest', kind: 'CertificateSigningRequest', namespaced: false, shortNames: ['csr'], subresources: ['approval', 'status'], statusOwnedBySubresource: true }),
  define({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', singular: 'lease', kind: 'Lease', namespaced: true }),
  // RBAC objects: stored as written; src/sim/api/rbac.ts evaluates them for non-admin users.
  define({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', singular: 'role', kind: 'Role', namespaced: true }),
  define({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true }),
  define({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false }),
  define({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false }),
  define({ group: 'apps', version: 'v1', resource: 'daemonsets', singular: 'daemonset', kind: 'DaemonSet', namespaced: true, shortNames: ['ds'], subresources: ['status'], generation: true, statusOwnedBySubresource: true, categories: ['all'] }),
  define({ group: 'apps', version: 'v1', resource: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], subresources: ['status'], generation: true, statusOwnedBySubresource: true, categories: ['all'] }),
  // `opsbook submit`'s Jobs and CronJobs (src/sim/workloads runs a Job's pods).
  define({ group: 'batch', version: 'v1', resource: 'jobs', singular: 'job', kind: 'Job', namespaced: true, subresources: ['status'], generation: true, statusOwnedBySubresource: true, categories: ['all'] }),
  define({ group: 'batch', version: 'v1', resource: 'cronjobs', singular: 'cronjob', kind: 'CronJob', namespaced: true, shortNames: ['cj'], subresources: ['status'], generation: true, statusOwnedBySubresource: true, categories: ['all'] }),
  define({ group: 'apps', version: 'v1', resource: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], subresources: ['status'], generation: true, statusOwnedBySubresource: true, categories: ['all'] }),
  define({ group: 'config.openshift.io', version: 'v1', resource: 'clusteroperators', singular: 'clusteroperator', kind: 'ClusterOperator', namespaced: false, shortNames: ['co'], subresources: ['status'], generation: true, statusOwnedBySubresource: true, custom: true }),
  define({ group: 'config.openshift.io', version: 'v1', resource: 'clusterversions', singular: 'clusterversion', kind: 'ClusterVersion', namespaced: false, subresources: ['status'], generation: true, statusOwnedBySubresource: true, custom: true }),
  define({ group: 'imageregistry.operator.openshift.io', version: 'v1', resource: 'configs', singular: 'config', kind: 'Config', namespaced: false, subresources: ['status'], generation: true, statusOwnedBySubresource: true, custom: true }),
  define({ group: 'machine.openshift.io', version: 'v1beta1', resource: 'machines', singular: 'machine', kind: 'Machine', namespaced: true, subresources: ['status'], generation: true, statusOwnedBySubresource: true, custom: true }),
  // A Cluster API management cluster's workload clusters (fleet discovery reads them and their <name>-kubeconfig Secrets).
  define({ group: 'cluster.x-k8s.io', version: 'v1beta1', resource: 'clusters', singular: 'cluster', kind: 'Cluster', namespaced: true, shortNames: ['cl'], subresources: ['status'], generation: true, statusOwnedBySubresource: true, custom: true }),
  // Argo Workflows' CRDs, so `opsbook export argo | kubectl apply --dry-run=server -f -` can be checked against the simulation.
  define({ group: 'argoproj.io', version: 'v1alpha1', resource: 'workflows', singular: 'workflow', kind: 'Workflow', namespaced: true, shortNames: ['wf'], generation: true, custom: true }),
  define({ group: 'argoproj.io', version: 'v1alpha1', resource: 'workflowtemplates', singular: 'workflowtemplate', kind: 'WorkflowTemplate', namespaced: true, shortNames: ['wftmpl'], custom: true }),
];

/** Groups only an OpenShift cluster serves. */
export const OPENSHIFT_GROUPS = new Set(['config.openshift.io', 'imageregistry.operator.openshift.io', 'machine.openshift.io']);

/** The resources served for a cluster flavour. */
export function selectResources(flavour: 'openshift' | 'kubernetes'): ResourceDef[] {
  return flavour === 'openshift' ? RESOURCES : RESOURCES.filter((r) => !OPENSHIFT_GROUPS.has(r.group));
}

/** Finds a resource by API group + version + plural name. */
export function indexResources(defs: ResourceDef[]): Map<string, ResourceDef> {
  const map = new Map<string, ResourceDef>();
  for (const def of defs) map.set(`${def.group}/${def.version}/${def.resource}`, def);
  return map;
}
