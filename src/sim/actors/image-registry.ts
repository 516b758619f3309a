// The Image Registry Operator: reconciles configs.imageregistry.operator.openshift.io/cluster into the
// image-registry ClusterOperator the way the real operator reports it.

import type { ImageRegistrySpec } from '../scenario/types.js';
import type { KObject } from '../store/types.js';
import type { ClusterAccess } from './access.js';
import { mergeConditions, type Condition } from './conditions.js';
import { setOperatorStatus } from './operators.js';
import { spawn, sleepFor, type Scheduler } from './schedule.js';
import type { Json } from '../json.js';

export const REGISTRY_NAMESPACE = 'openshift-image-registry';
export const DEFAULT_CLAIM = 'image-registry-storage';


interface Outcome {
  available: boolean;
  progressing: boolean;
  degraded: boolean;
  reason: string;
  message: string;
}

function conditions(o: Outcome): Condition[] {
  return [
    { type: 'Available', status: o.available ? 'True' : 'False', reason: o.available ? (o.reason === 'Removed' ? 'Removed' : 'Ready') : o.reason, message: o.available ? (o.reason === 'Removed' ? 'The registry is removed' : 'The registry is ready') : o.message },
    { type: 'Progressing', status: o.progressing ? 'True' : 'False', reason: o.progressing ? o.reason : o.reason === 'Removed' ? 'Removed' : 'Ready', message: o.progressing ? o.message : o.reason === 'Removed' ? 'All registry resources are removed' : 'The registry is ready' },
    { type: 'Degraded', status: o.degraded ? 'True' : 'False', reason: o.degraded ? o.reason : o.reason === 'Removed' ? 'Removed' : 'AsExpected', message: o.degraded ? o.message : '' },
  ];
}

const STORAGE_KINDS = ['emptyDir', 'pvc', 's3', 'gcs', 'azure', 'swift', 'ibmcos', 'oss'];

export class ImageRegistryOperator {
  private rolloutFor: string | undefined;
  private doneFor: string | undefined;
  private running = false;
  private again = false;

  constructor(
    private readonly access: ClusterAccess,
    private readonly spec: ImageRegistrySpec,
    private readonly version: string,
    private readonly s: Scheduler,
  ) {}

  async start(): Promise<() => void> {
    const storage = this.spec.storage ? { storage: this.spec.storage } : {};
    await this.access.create('configs', {
      metadata: { name: 'cluster', finalizers: ['imageregistry.operator.openshift.io/finalizer'] },
      spec: { managementState: this.spec.managementState, replicas: this.spec.replicas, rolloutStrategy: 'RollingUpdate', logLevel: 'Normal', operatorLogLevel: 'Normal', httpSecret: 'c2ltdWxhdGVk', proxy: {}, requests: { read: { maxWaitInQueue: '0s' }, write: { maxWaitInQueue: '0s' } }, ...storage },
    });
    await this.reconcileNow();
    const unsubscribeConfig = this.access.subscribe('configs', () => this.reconcile());
    const unsubscribePvc = this.access.subscribe('persistentvolumeclaims', (event) => {
      if (event.stored.object.metadata.namespace === REGISTRY_NAMESPACE) this.reconcile();
    });
    return () => {
      unsubscribeConfig();
      unsubscribePvc();
    };
  }

  /** Coalesces bursts of events into one reconcile at a time. */
  reconcile(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    spawn(this.s, 'image-registry operator', async () => {
      this.running = true;
      try {
        do {
          this.again = false;
          await this.reconcileNow();
        } while (this.again && !this.s.signal.aborted);
      } finally {
        this.running = false;
      }
    });
  }

  private async reconcileNow(): Promise<void> {
    const config = this.access.get('configs', undefined, 'cluster') as Json | undefined;
    if (!config) return;
    const spec: Json = config.spec ?? {};
    const state = spec.managementState ?? 'Managed';
    if (state === 'Unmanaged') return;
    if (state === 'Removed') {
      this.doneFor = undefined;
      this.rolloutFor = undefined;
      return this.report(config, { available: true, progressing: false, degraded: false, reason: 'Removed', message: 'The registry is removed' }, 0);
    }
    const problem = await this.checkStorage(config, spec);
    if (problem === 'requeue') return;
    if (problem) return this.report(config, { available: false, progressing: false, degraded: true, ...problem }, 0);
    const fingerprint = JSON.stringify([spec.storage, spec.replicas, spec.rolloutStrategy, config.metadata.generation]);
    const replicas = spec.replicas ?? 1;
    if (this.doneFor === fingerprint) {
      return this.report(config, { available: true, progressing: false, degraded: false, reason: 'Ready', message: 'The registry is ready' }, replicas);
    }
    if (this.rolloutFor !== fingerprint) {
      this.rolloutFor = fingerprint;
      spawn(this.s, 'image-registry rollout', async () => {
        if (!(await sleepFor(this.s, this.spec.rolloutDuration))) return;
        if (this.rolloutFor !== fingerprint) return;
        this.doneFor = fingerprint;
        this.reconcile();
      });
    }
    const wasReady = this.doneFor !== undefined;
    await this.report(config, { available: wasReady, progressing: true, degraded: false, reason: 'DeploymentNotCompleted', message: 'Progressing: The deployment has not completed' }, 0);
  }

  /** A Degraded reason/message for a storage configuration the operator cannot run with; 'requeue' after fixing it up. */
  private async checkStorage(config: Json, spec: Json): Promise<{ reason: string; message: string } | 'requeue' | undefined> {
    const storage: Json = spec.storage ?? {};
    const kinds = Object.keys(storage).filter((k) => STORAGE_KINDS.includes(k));
    const replicas = spec.replicas ?? 1;
    const strategy = spec.rolloutStrategy ?? 'RollingUpdate';
    if (kinds.length === 0) {
      return { reason: 'StorageNotConfigured', message: 'Degraded: storage backend not configured: set spec.storage (emptyDir for non-production clusters, pvc, s3, ...)' };
    }
    if (kinds.length > 1) return { reason: 'StorageConfigurationInvalid', message: `Degraded: exactly one storage type may be configured, got ${kinds.join(', ')}` };
    if (kinds[0] === 'emptyDir' && replicas > 1) {
      return { reason: 'EmptyDirWithMultipleReplicas', message: `Degraded: emptyDir storage does not support more than one replica (replicas: ${replicas})` };
    }
    if (kinds[0] !== 'pvc') return undefined;
    const claim = storage.pvc?.claim;
    if (!claim) {
      if (!this.access.get('persistentvolumeclaims', REGISTRY_NAMESPACE, DEFAULT_CLAIM)) {
        await this.access.create('persistentvolumeclaims', {
          metadata: { name: DEFAULT_CLAIM, namespace: REGISTRY_NAMESPACE, annotations: { 'imageregistry.openshift.io': 'true' } },
          spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '100Gi' } }, volumeMode: 'Filesystem' },
        });
      }
      await this.access.mergePatch('configs', undefined, 'cluster', { spec: { storage: { pvc: { claim: DEFAULT_CLAIM } } } });
      return 'requeue';
    }
    const pvc = this.access.get('persistentvolumeclaims', REGISTRY_NAMESPACE, claim) as Json | undefined;
    if (!pvc) return { reason: 'PVCNotFound', message: `Degraded: persistentvolumeclaim "${claim}" not found in namespace ${REGISTRY_NAMESPACE}` };
    await this.bind(pvc);
    const modes: string[] = pvc.spec?.accessModes ?? [];
    const rwoOnly = modes.includes('ReadWriteOnce') && !modes.includes('ReadWriteMany');
    if (rwoOnly && (replicas !== 1 || strategy !== 'Recreate')) {
      return {
        reason: 'InvalidStorageConfiguration',
        message: `Degraded: a ReadWriteOnce volume (claim ${claim}) requires replicas: 1 and rolloutStrategy: Recreate (got replicas: ${replicas}, rolloutStrategy: ${strategy})`,
      };
    }
    return undefined;
  }

  /** Claims in the registry namespace bind at once (there is a default storage class). */
  private async bind(pvc: Json): Promise<void> {
    if (pvc.status?.phase === 'Bound') return;
    await this.access.updateStatus('persistentvolumeclaims', REGISTRY_NAMESPACE, pvc.metadata.name, (fresh: KObject) => {
      const spec = fresh.spec as Json;
      fresh.status = { phase: 'Bound', accessModes: spec.accessModes, capacity: { storage: spec.resources?.requests?.storage } };
    });
  }

  private async report(config: Json, outcome: Outcome, readyReplicas: number): Promise<void> {
    const now = this.s.clock.now();
    const wanted = conditions(outcome);
    await setOperatorStatus(this.access, 'image-registry', this.version, wanted, now);
    await this.access.updateStatus('configs', undefined, config.metadata.name, (fresh: KObject) => {
      const status = (fresh.status ?? {}) as Json;
      const merged = mergeConditions(status.conditions, wanted, now);
      const generation = fresh.metadata.generation;
      if (!merged && status.readyReplicas === readyReplicas && status.observedGeneration === generation) return false;
      fresh.status = { ...status, conditions: merged ?? status.conditions, readyReplicas, observedGeneration: generation, storage: (fresh.spec as Json).storage ?? {} };
      return true;
    });
  }
}
