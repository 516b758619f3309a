// In-process API access for the simulated controllers and kubelets, each acting under its own identity.

import type { UserInfo } from '../api/auth.js';
import type { ApiCore } from '../api/core.js';
import type { ResourceDef } from '../resources.js';
import type { KObject, StoreEvent } from '../store/types.js';

/** The identity controllers use (a cluster admin, as kube-controller-manager effectively is). */
/** An object to create: apiVersion/kind are filled from the resource, name may come from generateName. */
export type NewObject = { metadata: Partial<KObject['metadata']>; [key: string]: unknown };

export const CONTROLLER: UserInfo = { username: 'system:kube-controller-manager', groups: ['system:masters', 'system:authenticated'] };

export class ClusterAccess {
  private readonly byResource = new Map<string, ResourceDef>();

  constructor(
    readonly core: ApiCore,
    readonly user: UserInfo,
  ) {
    for (const def of core.defs) this.byResource.set(def.resource, def);
  }

  /** The same cluster as another identity. */
  as(user: UserInfo): ClusterAccess {
    return new ClusterAccess(this.core, user);
  }

  def(resource: string): ResourceDef {
    const def = this.byResource.get(resource);
    if (!def) throw new Error(`resource ${resource} is not served by this simulation`);
    return def;
  }

  has(resource: string): boolean {
    return this.byResource.has(resource);
  }

  /** A copy the caller may change; undefined when absent. */
  get(resource: string, namespace: string | undefined, name: string): KObject | undefined {
    const stored = this.core.store.get(this.def(resource), namespace, name);
    return stored ? structuredClone(stored.object) : undefined;
  }

  /** The stored object itself, read-only (no copy): for hot paths that only look. */
  peek(resource: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.core.store.get(this.def(resource), namespace, name)?.object;
  }

  /** Read-only views of the stored objects (do not mutate). */
  list(resource: string, namespace?: string): readonly KObject[] {
    return this.core.store.list(this.def(resource), namespace).map((s) => s.object);
  }

  /** `createdAt` backdates creationTimestamp (scenario history such as CSRs posted before the start). */
  async create(resource: string, object: NewObject, createdAt?: number): Promise<KObject> {
    const def = this.def(resource);
    const result = await this.core.create(this.user, def, object.metadata.namespace as string | undefined, object, { fieldManager: this.manager(), createdAt });
    return result.stored.object;
  }

  async update(resource: string, object: KObject, subresource?: string): Promise<KObject> {
    const def = this.def(resource);
    const result = await this.core.update(this.user, def, object.metadata.namespace, object.metadata.name, subresource, object, { fieldManager: this.manager() });
    return result.stored.object;
  }

  async mergePatch(resource: string, namespace: string | undefined, name: string, patch: unknown, subresource?: string): Promise<KObject> {
    const def = this.def(resource);
    const result = await this.core.patch(this.user, def, namespace, name, subresource, 'merge', patch, { fieldManager: this.manager() });
    return result.stored.object;
  }

  /** Read-modify-write of the status subresource; `mutate` returns false to skip the write. */
  async updateStatus(resource: string, namespace: string | undefined, name: string, mutate: (object: KObject) => boolean | void): Promise<KObject | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const object = this.get(resource, namespace, name);
      if (!object) return undefined;
      if (mutate(object) === false) return object;
      try {
        return await this.update(resource, object, 'status');
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }
    throw new Error(`could not update ${resource}/${name}: too many conflicts`);
  }

  /**
   * Writes a new status built from the stored object without deep-copying it (the signer does this once per CSR);
   * `build` returns undefined to skip the write. Retries on conflicts like updateStatus.
   */
  async replaceStatus(resource: string, namespace: string | undefined, name: string, build: (current: KObject) => unknown): Promise<KObject | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = this.peek(resource, namespace, name);
      if (!current) return undefined;
      const status = build(current);
      if (status === undefined) return current;
      try {
        return await this.update(resource, { ...current, metadata: { ...current.metadata }, status }, 'status');
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }
    throw new Error(`could not update ${resource}/${name}: too many conflicts`);
  }

  subscribe(resource: string, listener: (event: StoreEvent) => void): () => void {
    return this.core.store.subscribe(this.def(resource), listener);
  }

  private manager(): string {
    const name = this.user.username;
    return name.startsWith('system:node:') ? 'kubelet' : name.split(':').pop()!.slice(0, 128);
  }
}
