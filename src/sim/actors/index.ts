// Starts every simulated actor for a scenario and hands back what the summary needs.

import type { ClusterPki } from '../pki.js';
import type { RogueKind, Scenario } from '../scenario/types.js';
import type { ClusterAccess } from './access.js';
import { Kubelet, type KubeletState } from './kubelet.js';
import type { Scheduler } from './schedule.js';
import { startSigner } from './signer.js';

export interface Actors {
  kubelets(): KubeletState[];
  /** Rogue CSR name → kind. */
  rogues(): Map<string, RogueKind>;
  stop(): void;
}

export interface ActorContext {
  access: ClusterAccess;
  scenario: Scenario;
  pki: ClusterPki;
  scheduler: Scheduler;
}

export async function startActors(ctx: ActorContext): Promise<Actors> {
  const stops: Array<() => void> = [];
  stops.push(startSigner(ctx.access, ctx.pki, ctx.scheduler));
  const kubelets = ctx.scenario.machines.map((m) => new Kubelet(m, ctx.scenario, ctx.access, ctx.scheduler));
  for (const k of kubelets) k.start();
  const rogues = new Map<string, RogueKind>();
  return {
    kubelets: () => kubelets.map((k) => k.state),
    rogues: () => rogues,
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
