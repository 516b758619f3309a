// Rogue CSR senders: each posts one CSR a safe approver must refuse, under the identity that makes it dangerous.

import { encodeCsrForApi, generateCsr, type CsrSpec } from '../../pki/csr.js';
import type { UserInfo } from '../api/auth.js';
import type { NodeAddress, Rogue, Scenario } from '../scenario/types.js';
import type { ClusterAccess } from './access.js';
import { bootstrapperIdentity, INTRUDER, nodeIdentity } from './identities.js';
import { CLIENT_SIGNER, SERVING_SIGNER, sansOf } from './kubelet.js';
import { runAt, type Scheduler } from './schedule.js';

interface RoguePlan {
  as: UserInfo;
  csr: CsrSpec;
  signerName: string;
  usages: string[];
}

const CLIENT_USAGES = ['digital signature', 'client auth'];
const SERVING_USAGES = ['digital signature', 'server auth'];

function addressesOf(scenario: Scenario, name: string): NodeAddress[] {
  return [...scenario.machines, ...scenario.nodes].find((m) => m.name === name)?.addresses ?? [];
}

/** Who sends what for each rogue kind. */
export function planRogue(rogue: Rogue, scenario: Scenario): RoguePlan {
  const machines = scenario.machines.map((m) => m.name);
  const all = [...machines, ...scenario.nodes.map((n) => n.name)];
  const node = rogue.node ?? machines[0] ?? 'rogue-node';
  const victim = rogue.victim ?? all.find((n) => n !== node) ?? 'master-0';
  const subject = (name: string) => ({ commonName: `system:node:${name}`, organizations: ['system:nodes'] });
  const bootstrapper = bootstrapperIdentity(scenario.kubelet.bootstrapIdentity);
  switch (rogue.kind) {
    case 'wrong-requestor':
      return { as: INTRUDER, csr: subject(node), signerName: CLIENT_SIGNER, usages: CLIENT_USAGES };
    case 'unknown-machine':
      return { as: bootstrapper, csr: subject(rogue.node ?? 'rogue-node'), signerName: CLIENT_SIGNER, usages: CLIENT_USAGES };
    case 'client-with-sans':
      return { as: bootstrapper, csr: { ...subject(node), ...sansOf(addressesOf(scenario, node)) }, signerName: CLIENT_SIGNER, usages: CLIENT_USAGES };
    case 'wrong-signer':
      return { as: bootstrapper, csr: subject(node), signerName: 'kubernetes.io/kube-apiserver-client', usages: CLIENT_USAGES };
    case 'foreign-san':
      return { as: nodeIdentity(node), csr: { ...subject(node), ...sansOf(addressesOf(scenario, victim)) }, signerName: SERVING_SIGNER, usages: SERVING_USAGES };
    case 'cn-mismatch':
      return { as: nodeIdentity(node), csr: { ...subject(victim), ...sansOf(addressesOf(scenario, node)) }, signerName: SERVING_SIGNER, usages: SERVING_USAGES };
  }
}

/** Schedules every rogue; `record` learns each rogue CSR's name and kind. */
export function startRogues(access: ClusterAccess, scenario: Scenario, s: Scheduler, record: (name: string, rogue: Rogue) => void): void {
  for (const rogue of scenario.rogues) {
    runAt(s, rogue.at, `rogue ${rogue.kind}`, async () => {
      const plan = planRogue(rogue, scenario);
      const csr = await generateCsr(plan.csr);
      const created = await access.as(plan.as).create('certificatesigningrequests', {
        metadata: { generateName: 'csr-' },
        spec: { request: encodeCsrForApi(csr.pem), signerName: plan.signerName, usages: plan.usages },
      });
      record(created.metadata.name, rogue);
    });
  }
}
