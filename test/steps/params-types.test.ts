// Parameter types are derived from the step schemas; these assertions fail the type check (test/typecheck.test.ts)
// when a schema and the type its step's code expects drift apart.

import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../src/node/index.js';
import type { GatePolicy } from '../../src/steps/types.js';
import type { CertExpiryParams, CertificateGroup } from '../../src/steps/certs/cert-expiry.js';
import type { NodeExecParams } from '../../src/steps/certs/node-exec.js';
import type { ReadyzTargetParams } from '../../src/steps/certs/readyz-target.js';
import { renewCertsStep, type RenewCertsParams } from '../../src/steps/certs/renew-certs.js';
import type { WriteKubeconfigParams } from '../../src/steps/certs/write-kubeconfig.js';
import type { IdentitySource } from '../../src/csr/identity.js';
import type { CsrKind, NodeIdentity, RequestorRule } from '../../src/csr/types.js';
import { approveClientCsrs, type ApproveClientParams } from '../../src/steps/csr/approve-client-csrs.js';
import type { ApproveInput } from '../../src/steps/csr/approve-params.js';
import type { ApproveParams } from '../../src/steps/csr/decide.js';
import type { SelectorInput, SelectorParams } from '../../src/steps/csr/params.js';
import type { WaitForPendingParams } from '../../src/steps/csr/wait-for-pending.js';
import type { FailParams } from '../../src/steps/generic/fail.js';
import type { PauseParams } from '../../src/steps/generic/pause.js';
import type { ShellParams } from '../../src/steps/generic/shell.js';
import type { SleepParams } from '../../src/steps/generic/sleep.js';
import { sleepStep } from '../../src/steps/generic/sleep.js';
import type { HttpInput, HttpMethod, HttpParams, OAuth2Params } from '../../src/steps/http/params.js';
import type { StatusRange } from '../../src/steps/http/status.js';
import type { ApplyParams } from '../../src/steps/k8s/apply.js';
import type { GetParams } from '../../src/steps/k8s/get.js';
import type { KubeconfigParam } from '../../src/steps/k8s/kubeconfig.js';
import type { PatchParams } from '../../src/steps/k8s/patch.js';
import type { RolloutRestartParams } from '../../src/steps/k8s/rollout-restart.js';
import type { TargetParams } from '../../src/steps/k8s/target.js';
import type { WaitParams } from '../../src/steps/k8s/wait.js';
import type {
  ManagementState,
  PvcCreate,
  RegistryInput,
  RegistryParams,
  RolloutStrategy,
} from '../../src/steps/openshift/image-registry/params.js';
import type { WaitOperatorsParams } from '../../src/steps/openshift/wait-cluster-operators.js';

type SleepInput = NonNullable<Parameters<NonNullable<typeof sleepStep.normalize>>[0]>;
type RenewCertsInput = NonNullable<Parameters<NonNullable<typeof renewCertsStep.normalize>>[0]>;
type ApproveClientInput = NonNullable<Parameters<NonNullable<typeof approveClientCsrs.normalize>>[0]>;

/** true only when A and B are the same type (mutually assignable is not enough for optional vs required). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Flattens intersections (Omit<…> & {…}) so Equal compares the resulting shape. */
type Flat<T> = T extends unknown ? { [K in keyof T]: T[K] } : never;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

describe('step parameter types follow their schemas', () => {
  it('generic', () => {
    assertType<Equal<FailParams, { message: string }>>();
    assertType<Equal<PauseParams, { message: string; gate?: GatePolicy; notify?: string }>>();
    assertType<Equal<ShellParams, { run: string; command?: string[]; workingDirectory?: string } | { command: string[]; run?: string; workingDirectory?: string }>>();
    assertType<Equal<SleepInput, { duration: string | number }>>();
    assertType<Equal<Flat<SleepParams>, { durationMs: number }>>();
    expect(sleepStep.normalize!({ duration: '1m' })).toEqual({ durationMs: 60_000 });
  });

  it('k8s: defaults are filled (required) after normalize; the target must be named', () => {
    assertType<Equal<TargetParams, { apiVersion?: string; kind?: string; name?: string; namespace?: string; resource?: string }>>();
    assertType<Equal<KubeconfigParam, { kubeconfig?: string }>>();
    assertType<Equal<GetParams['ignoreNotFound'], boolean>>();
    assertType<Equal<WaitParams['for'] | WaitParams['minCount'] | WaitParams['deleted'], 'all' | 'any' | number | boolean>>();
    assertType<Equal<WaitParams['condition'], string | undefined>>();
    assertType<Equal<PatchParams['type'], 'merge' | 'json' | 'strategic'>>();
    assertType<Equal<RolloutRestartParams['wait'], boolean>>();
    assertType<Equal<RolloutRestartParams['kind'], 'Deployment' | 'DaemonSet' | 'StatefulSet' | undefined>>();
    assertType<Equal<ApplyParams['force'] | ApplyParams['fieldManager'] | ApplyParams['files'][number], boolean | string>>();
    // @ts-expect-error — a target-less get does not type-check: the schema's anyOf requires resource or apiVersion+kind.
    const noTarget: GetParams = { ignoreNotFound: false };
    expect(noTarget).toBeDefined();
  });

  it('openshift wait-cluster-operators', () => {
    assertType<Equal<WaitOperatorsParams['allowProgressing'], boolean | string[]>>();
    assertType<Equal<WaitOperatorsParams['names'][number] | WaitOperatorsParams['ignore'][number], string>>();
  });

  it('openshift configure-image-registry: storage rewritten, degradedGrace in ms, pvc.create filled', () => {
    assertType<Equal<ManagementState, 'Managed' | 'Removed' | 'Unmanaged'>>();
    assertType<Equal<RolloutStrategy, 'RollingUpdate' | 'Recreate'>>();
    assertType<Equal<PvcCreate, { name: string; size: string; storageClassName?: string; accessMode: 'ReadWriteOnce' | 'ReadWriteMany' }>>();
    assertType<Equal<NonNullable<NonNullable<RegistryInput['storage']>['pvc']>['create'],
      { name?: string; size?: string; storageClassName?: string; accessMode?: 'ReadWriteOnce' | 'ReadWriteMany' } | undefined>>();
    assertType<Equal<Flat<RegistryParams>, {
      managementState: ManagementState;
      replicas?: number;
      rolloutStrategy?: RolloutStrategy;
      wait: boolean;
      nonProduction: boolean;
      storage?: Record<string, unknown>;
      pvcCreate?: PvcCreate;
      existingClaim?: string;
      userSet: { replicas: boolean; rolloutStrategy: boolean };
      degradedGraceMs: number;
      defaultsApplied: string[];
    }>>();
  });

  it('certs: durations become ms, nodes are normalised, nested restart/readyz filled', () => {
    assertType<Equal<Flat<NodeExecParams>, { nodes: NodeSpec[]; command: string[] }>>();
    assertType<Equal<CertificateGroup, 'control-plane' | 'ca' | 'kubelet'>>();
    assertType<Equal<Flat<CertExpiryParams>, {
      nodes: NodeSpec[];
      kubernetesDir: string;
      kubeletPkiDir: string;
      include: { leaves: boolean; cas: boolean; kubelet: boolean };
      warnWithinMs: number;
      failWithinMs: number | undefined;
    }>>();
    assertType<Equal<Flat<Omit<RenewCertsParams, 'restart' | 'readyz'>>, {
      nodes: NodeSpec[];
      kubernetesDir: string;
      strategy: 'kubeadm' | 'native';
      force: boolean;
      renewWithinMs: number | undefined;
      validityMs: number;
      backupDir?: string;
      kubeadm: string;
      crictl: string;
    }>>();
    assertType<Equal<Flat<RenewCertsParams['restart']>, { enabled: boolean; containers: string[]; attempts: number; retryDelayMs: number }>>();
    assertType<Equal<Flat<RenewCertsParams['readyz']>, {
      enabled: boolean;
      url?: string;
      kubeconfig?: string;
      via: 'node' | 'cluster';
      port: number;
      timeoutMs: number;
      intervalMs: number;
    }>>();
    assertType<Equal<RenewCertsInput['restart'], { enabled?: boolean; containers?: string[]; attempts?: number; retryDelay?: string } | undefined>>();
    assertType<Equal<ReadyzTargetParams['kubernetesDir'], string>>();
    assertType<Equal<Flat<ReadyzTargetParams['readyz']>, { url?: string; kubeconfig?: string; via?: 'node' | 'cluster'; port?: number }>>();
    type FromSecret = { name: string; namespace: string; key: string };
    assertType<Equal<WriteKubeconfigParams,
      | { path: string; fromSecret: FromSecret; content?: string; backup: boolean; mode: number; check: string[] }
      | { path: string; content: string; fromSecret?: FromSecret; backup: boolean; mode: number; check: string[] }>>();
    const filled = renewCertsStep.normalize!({});
    expect(filled.restart).toMatchObject({ enabled: true, attempts: 5, retryDelayMs: 2000 });
    expect(filled.readyz).toMatchObject({ enabled: true, via: 'node', port: 6443, timeoutMs: 300_000, intervalMs: 5000 });
  });

  it('csr: inventory entries become identities, count filled, approve and client defaults filled', () => {
    type InventoryEntry = string | { name: string; addresses?: string[]; hostnames?: string[] };
    assertType<Equal<SelectorInput, { nodes?: InventoryEntry[]; match?: string; count?: number; identity?: IdentitySource }>>();
    assertType<Equal<Flat<SelectorParams>, { nodes?: NodeIdentity[]; match?: string; count: number; identity: 'inventory' | 'machines' }>>();
    assertType<Equal<ApproveInput['deny'] | ApproveInput['supersede'] | ApproveInput['concurrency'], boolean | 'approve' | 'deny' | number | undefined>>();
    assertType<Equal<Flat<ApproveParams>, {
      nodes?: NodeIdentity[];
      match?: string;
      count: number;
      identity: IdentitySource;
      deny: boolean;
      supersede: 'approve' | 'deny';
      concurrency: number;
    }>>();
    assertType<Equal<Flat<WaitForPendingParams>, { nodes?: NodeIdentity[]; match?: string; count: number; identity: IdentitySource; kind: CsrKind }>>();
    assertType<Equal<ApproveClientInput['requestors'] | ApproveClientInput['maxAge'] | ApproveClientInput['allowExistingNode'],
      (string | RequestorRule)[] | string | boolean | undefined>>();
    assertType<Equal<Flat<ApproveClientParams>, {
      nodes?: NodeIdentity[];
      match?: string;
      count: number;
      identity: IdentitySource;
      deny: boolean;
      supersede: 'approve' | 'deny';
      concurrency: number;
      requestors: RequestorRule[];
      maxAgeMs: number;
      allowExistingNode: boolean;
    }>>();
    expect(approveClientCsrs.normalize!({ match: '^w-', count: 2 })).toMatchObject({
      match: '^w-', count: 2, identity: 'inventory', deny: false, supersede: 'approve', concurrency: 16, maxAgeMs: 3_600_000, allowExistingNode: false,
    });
  });

  it('http: values stringified, statuses parsed, durations in ms, oauth2 client id filled', () => {
    assertType<Equal<HttpMethod, 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD'>>();
    assertType<Equal<OAuth2Params, { tokenUrl: string; clientId: string; refreshToken: string; scope?: string }>>();
    assertType<Equal<HttpInput['interval'] | HttpInput['expectStatus'], string | number | (string | number)[] | undefined>>();
    assertType<Equal<Flat<HttpParams>, {
      method: HttpMethod;
      url: string;
      headers: Record<string, string>;
      query: Record<string, string>;
      json?: unknown;
      form?: Record<string, string>;
      bearer?: string;
      oauth2?: OAuth2Params;
      expectStatus: StatusRange[];
      outputs: Record<string, string>;
      until?: string;
      progress?: string;
      intervalMs: number;
      requestTimeoutMs: number;
    }>>();
  });
});
