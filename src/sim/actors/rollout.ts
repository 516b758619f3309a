// The DaemonSet/Deployment/StatefulSet controllers: a spec change (e.g. `kubectl rollout restart`'s restartedAt
// annotation) rolls out over the configured duration and ends with the status fields `kubectl rollout status` checks.

import type { Scenario, WorkloadSpec } from '../scenario/types.js';
import type { KObject } from '../store/types.js';
import { parseLabelSelector } from '../store/selectors.js';
import type { ClusterAccess } from './access.js';
import { runAt, spawn, sleepFor, type Scheduler } from './schedule.js';
import { computeStatefulSetStatus, type RolloutStage } from './statefulset-status.js';
import type { Json } from '../json.js';

type Kind = 'daemonsets' | 'deployments' | 'statefulsets';
const KINDS: Kind[] = ['daemonsets', 'deployments', 'statefulsets'];

/** The resource a scenario workload is stored as. */
function resourceOf(w: WorkloadSpec): Kind {
  return w.kind === 'DaemonSet' ? 'daemonsets' : 'deployments';
}

const DEFAULT_ROLLOUT = 30_000;

function template(name: string): Json {
  return {
    metadata: { labels: { app: name } },
    spec: { containers: [{ name, image: `registry.example/${name}:latest`, imagePullPolicy: 'IfNotPresent' }] },
  };
}

export class RolloutController {
  private readonly inFlight = new Map<string, number>();
  /** Workloads the scenario starts with: already rolled out. */
  private readonly seeded = new Set<string>();

  constructor(
    private readonly access: ClusterAccess,
    private readonly scenario: Scenario,
    private readonly s: Scheduler,
  ) {}

  async start(): Promise<() => void> {
    for (const w of this.scenario.workloads) await this.seed(w);
    const stops = KINDS.map((kind) => {
      for (const object of this.access.list(kind)) this.observe(kind, object);
      return this.access.subscribe(kind, (event) => {
        if (event.type !== 'DELETED') this.observe(kind, event.stored.object);
      });
    });
    return () => stops.forEach((stop) => stop());
  }

  private async seed(w: WorkloadSpec): Promise<void> {
    if (!this.access.get('namespaces', undefined, w.namespace)) await this.access.create('namespaces', { metadata: { name: w.namespace } });
    const selector = { matchLabels: { app: w.name } };
    const spec = w.kind === 'DaemonSet' ? { selector, template: template(w.name) } : { replicas: w.replicas, selector, template: template(w.name) };
    const kind = resourceOf(w);
    this.seeded.add(`${kind}/${w.namespace}/${w.name}`);
    await this.access.create(kind, { metadata: { name: w.name, namespace: w.namespace }, spec });
  }

  private rolloutDuration(kind: Kind, object: KObject): number {
    const w = this.scenario.workloads.find((x) => x.name === object.metadata.name && x.namespace === object.metadata.namespace && resourceOf(x) === kind);
    return w?.rolloutDuration ?? DEFAULT_ROLLOUT;
  }

  /** Starts a rollout when the controller has not observed this generation yet. */
  private observe(kind: Kind, object: KObject): void {
    const generation = object.metadata.generation ?? 1;
    const status = (object.status ?? {}) as Json;
    const key = `${kind}/${object.metadata.namespace}/${object.metadata.name}`;
    if (status.observedGeneration === generation && this.inFlight.get(key) !== generation) return;
    if (this.inFlight.get(key) === generation) return;
    this.inFlight.set(key, generation);
    const initial = object.status === undefined;
    if (initial && this.seeded.has(key)) {
      spawn(this.s, `rollout ${key}`, async () => {
        await this.writeStatus(kind, object, generation, 'complete');
        this.inFlight.delete(key);
      });
      return;
    }
    spawn(this.s, `rollout ${key}`, async () => {
      await this.writeStatus(kind, object, generation, initial ? 'initial' : 'rolling');
      if (!(await sleepFor(this.s, this.rolloutDuration(kind, object)))) return;
      const fresh = this.access.get(kind, object.metadata.namespace, object.metadata.name);
      if (!fresh || (fresh.metadata.generation ?? 1) !== generation) return;
      await this.writeStatus(kind, fresh, generation, 'complete');
      this.inFlight.delete(key);
    });
  }

  private desiredPods(kind: Kind, object: KObject): number {
    const spec = (object.spec ?? {}) as Json;
    if (kind !== 'daemonsets') return spec.replicas ?? 1;
    const nodeSelector: Record<string, string> = spec.template?.spec?.nodeSelector ?? {};
    const selector = parseLabelSelector(Object.entries(nodeSelector).map(([k, v]) => `${k}=${v}`).join(','));
    return this.access.list('nodes').filter((n) => selector(n)).length;
  }

  private async writeStatus(kind: Kind, object: KObject, generation: number, stage: RolloutStage): Promise<void> {
    const desired = this.desiredPods(kind, object);
    const done = stage === 'complete';
    const old = stage === 'rolling' ? desired : 0;
    await this.access.updateStatus(kind, object.metadata.namespace, object.metadata.name, (fresh) => {
      const now = new Date(this.s.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (kind === 'statefulsets') {
        fresh.status = computeStatefulSetStatus(object, fresh.status as Json | undefined, generation, stage);
      } else if (kind === 'daemonsets') {
        fresh.status = {
          observedGeneration: generation,
          desiredNumberScheduled: desired,
          currentNumberScheduled: desired,
          numberMisscheduled: 0,
          numberReady: done ? desired : Math.max(0, old - 1),
          updatedNumberScheduled: done ? desired : 0,
          numberAvailable: done ? desired : Math.max(0, old - 1),
          ...(done || desired === 0 ? {} : { numberUnavailable: desired - Math.max(0, old - 1) }),
        };
      } else {
        fresh.status = {
          observedGeneration: generation,
          replicas: done ? desired : old + 1,
          updatedReplicas: done ? desired : Math.min(1, desired),
          readyReplicas: done ? desired : old,
          availableReplicas: done ? desired : old,
          ...(done ? {} : { unavailableReplicas: Math.min(1, desired) }),
          conditions: [
            { type: 'Available', status: done || old > 0 ? 'True' : 'False', reason: done || old > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: 'Deployment has minimum availability.', lastUpdateTime: now, lastTransitionTime: now },
            { type: 'Progressing', status: 'True', reason: done ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', message: done ? `ReplicaSet "${object.metadata.name}" has successfully progressed.` : `ReplicaSet "${object.metadata.name}" is progressing.`, lastUpdateTime: now, lastTransitionTime: now },
          ],
        };
      }
    });
  }
}

export { runAt };
