// Starts every simulated actor for a scenario and hands back what the summary needs.

import type { ClusterPki } from '../pki.js';
import type { RogueKind, Scenario } from '../scenario/types.js';
import type { ClusterAccess } from './access.js';
import { CertificateWaiters } from './certificates.js';
import { ImageRegistryOperator } from './image-registry.js';
import { Kubelet, type KubeletState } from './kubelet.js';
import { startOperators } from './operators.js';
import { startRogues } from './rogues.js';
import { RolloutController } from './rollout.js';
import type { Scheduler } from './schedule.js';
import { startSigner } from './signer.js';

export interface Actors {
  kubelets(): KubeletState[];
  /** Rogue CSR name → kind. */
  rogues(): Map<string, RogueKind>;
  /** Boots a machine that joins when something installs it (the Assisted Installer), not at a fixed time. */
  boot(machine: string): void;
  stop(): void;
}

export interface ActorContext {
  access: ClusterAccess;
  scenario: Scenario;
  pki: ClusterPki;
  scheduler: Scheduler;
}

export async function startActors(ctx: ActorContext): Promise<Actors> {
  const { access, scenario, scheduler } = ctx;
  const stops: Array<() => void> = [];
  stops.push(startSigner(access, ctx.pki, scheduler));
  if (scenario.flavour === 'openshift') {
    await startOperators(access, scenario.operators, scheduler);
    if (scenario.imageRegistry) {
      stops.push(await new ImageRegistryOperator(access, scenario.imageRegistry, scenario.openshiftVersion, scheduler).start());
    }
  }
  stops.push(await new RolloutController(access, scenario, scheduler).start());
  const certificates = new CertificateWaiters(access);
  stops.push(certificates.start());
  const kubelets = scenario.machines.map((m) => new Kubelet(m, scenario, access, scheduler, certificates));
  for (const k of kubelets) k.start();
  const rogues = new Map<string, RogueKind>();
  startRogues(access, scenario, scheduler, (name, rogue) => rogues.set(name, rogue.kind));
  return {
    kubelets: () => kubelets.map((k) => k.state),
    rogues: () => rogues,
    boot: (machine) => kubelets.find((k) => k.state.node === machine)?.boot(),
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}
