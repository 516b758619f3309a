// One normalisation pass after validation: fills every default so the simulation never checks for undefined.

import { createHash } from 'node:crypto';
import { parseDuration } from '../../time/duration.js';
import type { DurationInput, PhaseInput, ScenarioInput } from './input.js';
import type { AssistedInstallerSpec, ControlPlaneSpec, ExistingNode, JoiningMachine, NodeAddress, OperatorPhase, OperatorSpec, Scenario } from './types.js';

/** Cluster operators a settled OpenShift 4.x cluster lists (image-registry is simulated separately). */
const DEFAULT_OPERATORS = [
  'authentication', 'cloud-credential', 'cluster-autoscaler', 'config-operator', 'console', 'dns', 'etcd', 'ingress',
  'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'machine-api', 'machine-approver', 'machine-config',
  'monitoring', 'network', 'node-tuning', 'openshift-apiserver', 'openshift-controller-manager', 'operator-lifecycle-manager',
  'service-ca', 'storage',
];

function toMs(value: DurationInput | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return value;
  if (value.startsWith('-')) return -(parseDuration(value.slice(1)) ?? 0);
  return parseDuration(value) ?? fallback;
}

/** Deterministic UUID-shaped id from text, so a scenario keeps its cluster id across runs. */
function deriveUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function defaultAddresses(name: string, subnet: number, index: number): NodeAddress[] {
  const third = subnet + Math.floor(index / 200);
  return [
    { type: 'InternalIP', address: `10.0.${third}.${10 + (index % 200)}` },
    { type: 'Hostname', address: name },
  ];
}

function phase(input: PhaseInput, at: number): OperatorPhase {
  const available = input.available ?? true;
  const progressing = input.progressing ?? false;
  const degraded = input.degraded ?? false;
  const reason = input.reason ?? (degraded ? 'Degraded' : progressing ? 'Progressing' : available ? 'AsExpected' : 'Unavailable');
  const message = input.message ?? (degraded ? 'operator is degraded' : progressing ? 'operator is progressing' : available ? 'All is well' : 'operator is not available');
  return { at, available, progressing, degraded, reason, message };
}

function normalizeOperators(input: ScenarioInput, version: string): OperatorSpec[] {
  const list: NonNullable<ScenarioInput['operators']> = input.operators ?? DEFAULT_OPERATORS.map((name) => ({ name }));
  return list.map((op) => {
    let phases: OperatorPhase[];
    if (op.phases) phases = op.phases.map((p) => phase(p, toMs(p.at, 0)));
    else if (op.settleAt !== undefined) {
      phases = [
        phase({ available: false, progressing: true, reason: 'Deploying', message: `${op.name} is rolling out` }, 0),
        phase({ available: op.available ?? true, progressing: op.progressing ?? false, degraded: op.degraded ?? false, reason: op.reason, message: op.message }, toMs(op.settleAt, 0)),
      ];
    } else phases = [phase(op, 0)];
    phases.sort((a, b) => a.at - b.at);
    return { name: op.name, version: op.version ?? version, phases };
  });
}

/** The hosts the real Assisted Installer answers for: its API and the Red Hat SSO. */
const DEFAULT_IMPERSONATED = ['api.openshift.com', 'sso.redhat.com'];

function normalizeAssisted(input: ScenarioInput['assistedInstaller']): AssistedInstallerSpec | undefined {
  if (!input) return undefined;
  return {
    impersonates: input.impersonates ?? DEFAULT_IMPERSONATED,
    offlineToken: input.offlineToken,
    tokenLifetime: toMs(input.tokenLifetime, 15 * 60_000),
    hosts: (input.hosts ?? []).map((h) => ({
      name: h.name,
      bootAfter: toMs(h.bootAt, 2 * 60_000),
      validations: (h.validations ?? []).map((v) => ({ id: v.id, status: v.status ?? 'failure', until: v.until === undefined ? undefined : toMs(v.until, 0) })),
      installDuration: toMs(h.installDuration, 20 * 60_000),
    })),
  };
}

export function normalizeScenario(input: ScenarioInput): Scenario {
  const flavour = input.flavour ?? 'openshift';
  const openshift = flavour === 'openshift';
  const openshiftVersion = input.cluster?.openshiftVersion ?? '4.14.8';
  const readyDelay = toMs(input.kubelet?.readyDelay, 30_000);
  const nodes: ExistingNode[] = (input.nodes ?? []).map((n, i) => ({
    name: n.name,
    roles: n.roles ?? (/master|control/.test(n.name) ? ['control-plane', 'master'] : ['worker']),
    addresses: n.addresses ?? defaultAddresses(n.name, 0, i),
    ready: n.ready ?? true,
    labels: n.labels ?? {},
  }));
  const installed = new Set((input.assistedInstaller?.hosts ?? []).map((h) => h.name));
  const machines: JoiningMachine[] = (input.machines ?? []).map((m, i) => ({
    name: m.name,
    roles: m.roles ?? ['worker'],
    addresses: m.addresses ?? defaultAddresses(m.name, 50, i),
    joinAt: toMs(m.joinAt, 0),
    keyType: m.keyType ?? 'ec-p256',
    readyDelay: toMs(m.readyDelay, readyDelay),
    labels: m.labels ?? {},
    joinedBy: installed.has(m.name) ? 'assisted-installer' : 'schedule',
  }));
  const faults = input.faults ?? {};
  return {
    name: input.name,
    description: input.description ?? '',
    flavour,
    timeScale: input.timeScale ?? 1,
    start: input.start ? Date.parse(input.start) : undefined,
    kubernetesVersion: input.cluster?.kubernetesVersion ?? 'v1.32.4',
    openshiftVersion,
    clusterID: input.cluster?.clusterID ?? deriveUuid(input.name),
    api: {
      historySize: input.api?.historySize ?? 10_000,
      bookmarkIntervalMs: input.api?.bookmarkIntervalMs ?? 60_000,
      watchTimeoutSeconds: input.api?.watchTimeoutSeconds ?? 1800,
    },
    nodes,
    machines,
    kubelet: {
      csrRetryInterval: toMs(input.kubelet?.csrRetryInterval, 15 * 60_000),
      bootstrapIdentity: input.kubelet?.bootstrapIdentity ?? (openshift ? 'node-bootstrapper' : 'bootstrap-token'),
    },
    rogues: (input.rogues ?? []).map((r) => ({ kind: r.kind, at: toMs(r.at, 0), node: r.node, victim: r.victim })),
    operators: openshift ? normalizeOperators(input, openshiftVersion) : [],
    imageRegistry: openshift
      ? {
          managementState: input.imageRegistry?.managementState ?? 'Removed',
          storage: input.imageRegistry?.storage,
          replicas: input.imageRegistry?.replicas ?? 1,
          rolloutDuration: toMs(input.imageRegistry?.rolloutDuration, 30_000),
        }
      : undefined,
    workloads: (input.workloads ?? []).map((w) => ({
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
      replicas: w.replicas ?? 1,
      rolloutDuration: toMs(w.rolloutDuration, 30_000),
    })),
    faults: {
      seed: faults.seed ?? 1,
      errors: (faults.errors ?? []).map((e) => ({ verbs: e.verbs, resources: e.resources, rate: e.rate ?? 0, code: e.code ?? 500 })),
      throttle: (faults.throttle ?? []).map((t) => ({ verbs: t.verbs, resources: t.resources, rate: t.rate ?? 0, retryAfterSeconds: t.retryAfterSeconds ?? 1 })),
      latency: (faults.latency ?? []).map((l) => ({ verbs: l.verbs, resources: l.resources, rate: l.rate ?? 1, ms: l.ms, jitterMs: l.jitterMs ?? 0 })),
      resets: (faults.resets ?? []).map((r) => ({ verbs: r.verbs, resources: r.resources, rate: r.rate ?? 0 })),
      watchCutMs: faults.watchCut?.everyMs ?? 0,
      watchCutAbrupt: faults.watchCut?.abrupt ?? false,
    },
    users: (input.users ?? []).map((u) => ({ name: u.name, token: u.token, groups: u.groups ?? [] })),
    assistedInstaller: normalizeAssisted(input.assistedInstaller),
    secrets: { ...input.secrets },
    controlPlane: normalizeControlPlane(input.controlPlane),
    inputs: { ...input.inputs },
  };
}

const DAY = 86_400_000;

function normalizeControlPlane(input: ScenarioInput['controlPlane']): ControlPlaneSpec | undefined {
  if (!input) return undefined;
  const certs = input.certificates ?? {};
  const overrides = Object.fromEntries(Object.entries(certs.overrides ?? {}).map(([name, d]) => [name, toMs(d, 0)]));
  return {
    clusterName: input.clusterName,
    namespace: input.namespace ?? `cluster-${input.clusterName}`,
    nodes: input.nodes.map((n, i) => ({ name: n.name, address: n.address ?? `10.200.0.${3 + i}` })),
    keyType: input.keyType ?? 'ec-p256',
    caExpiresIn: toMs(certs.caExpiresIn, 9 * 365 * DAY),
    leafExpiresIn: { '*': toMs(certs.expiresIn, -3 * DAY), ...overrides },
    kubeletExpiresIn: toMs(certs.kubeletExpiresIn, 200 * DAY),
    restartDelay: toMs(input.restartDelay, 2000),
    stopDeadlineExceeded: input.stopDeadlineExceeded ?? [],
    renewFailsAfter: input.renewFailsAfter,
    workstationKubeconfig: input.workstationKubeconfig,
    workloads: (input.workloads ?? [{ kind: 'DaemonSet' as const, namespace: 'kube-system', name: 'etcd-defrag' }]).map((w) => ({
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
      replicas: w.replicas ?? input.nodes.length,
      rolloutDuration: toMs(w.rolloutDuration, 5000),
    })),
  };
}
