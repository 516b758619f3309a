// The normalised scenario the simulation runs: every default filled, every duration in simulated milliseconds.

import type { FleetVariationInput, ScenarioInput } from './input.js';

export type Flavour = 'openshift' | 'kubernetes';
export type KeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

export interface ExistingNode {
  name: string;
  roles: string[];
  addresses: NodeAddress[];
  ready: boolean;
  labels: Record<string, string>;
}

export interface JoiningMachine {
  name: string;
  roles: string[];
  addresses: NodeAddress[];
  /** Simulated ms after the start when the machine boots and its kubelet posts the first CSR. */
  joinAt: number;
  keyType: KeyType;
  /** Simulated ms between the serving certificate arriving and the Node turning Ready. */
  readyDelay: number;
  labels: Record<string, string>;
  /** `schedule`: boots at joinAt; `assisted-installer`: boots when the Assisted Installer finishes installing it. */
  joinedBy: 'schedule' | 'assisted-installer';
}

export type AssistedValidationStatus = 'failure' | 'pending' | 'error';

export interface AssistedHostSpec {
  /** requested_hostname; a machine of the same name joins the cluster when the installation finishes. */
  name: string;
  /** Simulated ms after the infra-env is created when the host registers. */
  bootAfter: number;
  /** Validations that do not pass at first: `until` simulated ms after registration (undefined: never). */
  validations: Array<{ id: string; status: AssistedValidationStatus; until: number | undefined }>;
  /** Simulated ms from the install action to added-to-existing-cluster. */
  installDuration: number;
}

export interface AssistedInstallerSpec {
  /** Host names the simulation answers for. */
  impersonates: string[];
  offlineToken: string;
  /** Simulated ms an access token lasts. */
  tokenLifetime: number;
  hosts: AssistedHostSpec[];
}

export type RogueKind =
  | 'wrong-requestor'
  | 'unknown-machine'
  | 'foreign-san'
  | 'client-with-sans'
  | 'wrong-signer'
  | 'cn-mismatch';

export interface Rogue {
  kind: RogueKind;
  /** Simulated ms after the start. */
  at: number;
  /** The node the rogue CSR claims to be (or impersonates); defaults to the first joining machine. */
  node: string | undefined;
  /** The node whose identity (addresses) a foreign-san CSR steals, or the CN a cn-mismatch CSR claims. */
  victim: string | undefined;
}

export interface ConditionTriple {
  available: boolean;
  progressing: boolean;
  degraded: boolean;
  reason: string;
  message: string;
}

export interface OperatorPhase extends ConditionTriple {
  /** Simulated ms after the start. */
  at: number;
}

export interface OperatorSpec {
  name: string;
  version: string;
  /** Conditions in order; the first applies from the start. */
  phases: OperatorPhase[];
}

export interface ImageRegistrySpec {
  managementState: 'Managed' | 'Unmanaged' | 'Removed';
  storage: Record<string, unknown> | undefined;
  replicas: number;
  /** Simulated ms the registry deployment takes to roll out. */
  rolloutDuration: number;
}

export interface WorkloadSpec {
  kind: 'DaemonSet' | 'Deployment';
  namespace: string;
  name: string;
  replicas: number;
  rolloutDuration: number;
}

export interface FaultRule {
  verbs: string[] | undefined;
  resources: string[] | undefined;
  rate: number;
}

export interface Faults {
  seed: number;
  errors: Array<FaultRule & { code: 500 | 503 }>;
  throttle: Array<FaultRule & { retryAfterSeconds: number }>;
  latency: Array<FaultRule & { ms: number; jitterMs: number }>;
  resets: FaultRule[];
  /** Real ms after which every watch stream is cut (0 = never). */
  watchCutMs: number;
  /** Cut by destroying the connection instead of ending the response. */
  watchCutAbrupt: boolean;
}

export interface ScenarioUser {
  name: string;
  token: string;
  groups: string[];
}

/** One kubeadm control-plane node with a root filesystem the simulation creates. */
export interface ControlPlaneNode {
  name: string;
  /** The node's advertise address (in its certificates' SANs and its Node object). */
  address: string;
}

/** A kubeadm cluster whose control-plane certificates a runbook renews (procedures §4). */
export interface ControlPlaneSpec {
  /** The renewed cluster; the admin cluster (the one --kubeconfig names) holds CLUSTER-kubeconfig. */
  clusterName: string;
  /** Namespace of that secret in the admin cluster (Anthos on bare metal: cluster-CLUSTER). */
  namespace: string;
  nodes: ControlPlaneNode[];
  keyType: KeyType;
  /** Simulated ms from the start to the CAs' expiry. */
  caExpiresIn: number;
  /** Simulated ms from the start to each leaf's expiry (negative: already expired), by kubeadm name; `*` for the rest. */
  leafExpiresIn: Record<string, number>;
  kubeletExpiresIn: number;
  /** Simulated ms the kubelet takes to recreate a stopped static-pod container. */
  restartDelay: number;
  /** Containers whose next `crictl stop` answers DeadlineExceeded, once per entry. */
  stopDeadlineExceeded: string[];
  /** A fault: on each node, `kubeadm certs renew` fails with an I/O error once this many certificates were renewed. */
  renewFailsAfter: number | undefined;
  /** A workstation kubeconfig (under `~/`) holding the cluster's current admin kubeconfig at the start. */
  workstationKubeconfig: string | undefined;
  /** Workloads of the renewed cluster (etcd-defrag by default). */
  workloads: WorkloadSpec[];
}

export interface Scenario {
  name: string;
  description: string;
  flavour: Flavour;
  timeScale: number;
  /** Simulated start time (epoch ms), undefined = now. */
  start: number | undefined;
  kubernetesVersion: string;
  openshiftVersion: string;
  clusterID: string;
  api: { historySize: number; bookmarkIntervalMs: number; watchTimeoutSeconds: number };
  nodes: ExistingNode[];
  machines: JoiningMachine[];
  kubelet: {
    /** Simulated ms a kubelet waits on a pending CSR before posting a new one (real kubelet: 15m). */
    csrRetryInterval: number;
    /** `node-bootstrapper` service account (OpenShift) or a kubeadm bootstrap token. */
    bootstrapIdentity: 'node-bootstrapper' | 'bootstrap-token';
  };
  rogues: Rogue[];
  operators: OperatorSpec[];
  imageRegistry: ImageRegistrySpec | undefined;
  workloads: WorkloadSpec[];
  faults: Faults;
  users: ScenarioUser[];
  /** Assisted Installer and SSO served by the simulation, if the scenario has them. */
  assistedInstaller: AssistedInstallerSpec | undefined;
  /** Stand-ins for secret inputs during rehearse, by fromEnv variable or input name. */
  secrets: Record<string, string>;
  /** A kubeadm cluster with simulated control-plane nodes, if the scenario has one. */
  controlPlane: ControlPlaneSpec | undefined;
  /** Input values the scenario suggests for the runbook it rehearses (defaults under --set/--values). */
  inputs: Record<string, unknown>;
  /** The `fleet:` section as written, with the scenario it varies (fleet.ts derives each cluster's scenario). */
  fleet?: { clusters: number | undefined; variations: FleetVariationInput[]; source: ScenarioInput };
}
