// The scenario as written (YAML or built in code), before defaults: mirrors schemas/scenario.schema.json.

import type { AssistedValidationStatus, KeyType, NodeAddress, RogueKind } from './types.js';

export type DurationInput = string | number;

export interface PhaseInput {
  at?: DurationInput;
  available?: boolean;
  progressing?: boolean;
  degraded?: boolean;
  reason?: string;
  message?: string;
}

interface FaultRuleInput {
  verbs?: string[];
  resources?: string[];
  rate?: number;
}

export interface ScenarioInput {
  apiVersion?: 'opsbook.dev/v1alpha1';
  kind?: 'Scenario';
  name: string;
  description?: string;
  flavour?: 'openshift' | 'kubernetes';
  timeScale?: number;
  start?: string;
  cluster?: { kubernetesVersion?: string; openshiftVersion?: string; clusterID?: string };
  api?: { historySize?: number; bookmarkIntervalMs?: number; watchTimeoutSeconds?: number };
  nodes?: Array<{ name: string; roles?: string[]; addresses?: NodeAddress[]; ready?: boolean; labels?: Record<string, string> }>;
  machines?: Array<{
    name: string;
    roles?: string[];
    addresses?: NodeAddress[];
    joinAt?: DurationInput;
    keyType?: KeyType;
    readyDelay?: DurationInput;
    labels?: Record<string, string>;
  }>;
  kubelet?: { csrRetryInterval?: DurationInput; readyDelay?: DurationInput; bootstrapIdentity?: 'node-bootstrapper' | 'bootstrap-token' };
  rogues?: Array<{ kind: RogueKind; at?: DurationInput; node?: string; victim?: string }>;
  operators?: Array<PhaseInput & { name: string; version?: string; settleAt?: DurationInput; phases?: PhaseInput[] }>;
  imageRegistry?: { managementState?: 'Managed' | 'Unmanaged' | 'Removed'; storage?: Record<string, unknown>; replicas?: number; rolloutDuration?: DurationInput };
  workloads?: Array<{ kind: 'DaemonSet' | 'Deployment'; namespace: string; name: string; replicas?: number; rolloutDuration?: DurationInput }>;
  faults?: {
    seed?: number;
    errors?: Array<FaultRuleInput & { code?: 500 | 503 }>;
    throttle?: Array<FaultRuleInput & { retryAfterSeconds?: number }>;
    latency?: Array<FaultRuleInput & { ms: number; jitterMs?: number }>;
    resets?: FaultRuleInput[];
    watchCut?: { everyMs: number; abrupt?: boolean };
  };
  users?: Array<{ name: string; token: string; groups?: string[] }>;
  assistedInstaller?: {
    impersonates?: string[];
    offlineToken: string;
    tokenLifetime?: DurationInput;
    hosts?: Array<{
      name: string;
      bootAt?: DurationInput;
      validations?: Array<{ id: string; status?: AssistedValidationStatus; until?: DurationInput }>;
      installDuration?: DurationInput;
    }>;
  };
  secrets?: Record<string, string>;
  controlPlane?: {
    clusterName: string;
    namespace?: string;
    nodes: Array<{ name: string; address?: string }>;
    keyType?: KeyType;
    certificates?: { expiresIn?: DurationInput; caExpiresIn?: DurationInput; kubeletExpiresIn?: DurationInput; overrides?: Record<string, DurationInput> };
    restartDelay?: DurationInput;
    stopDeadlineExceeded?: string[];
    renewFailsAfter?: number;
    workstationKubeconfig?: string;
    workloads?: Array<{ kind: 'DaemonSet' | 'Deployment'; namespace: string; name: string; replicas?: number; rolloutDuration?: DurationInput }>;
  };
  inputs?: Record<string, unknown>;
  /** A fleet rehearsal: how many copies of this cluster, and variations of a share of them (see fleet.ts). */
  fleet?: { clusters?: number; variations?: FleetVariationInput[] };
}

/** One variation of a fleet scenario: which clusters (a share or a count) and what differs on them. */
export interface FleetVariationInput {
  share?: string;
  count?: number;
  slow?: number;
  faults?: ScenarioInput['faults'];
  kubelet?: ScenarioInput['kubelet'];
  noJoin?: string[];
}
