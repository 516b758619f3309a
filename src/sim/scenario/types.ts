// The normalised scenario the simulation runs: every default filled, every duration in simulated milliseconds.

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
}
