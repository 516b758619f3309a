// One kubelet per joining machine: client CSR (re-posted while pending), Node registration, serving CSR, Ready.

import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { encodeCsrForApi } from '../../pki/csr.js';
import type { UserInfo } from '../api/auth.js';
import type { JoiningMachine, KeyType, Scenario } from '../scenario/types.js';
import type { KObject } from '../store/types.js';
import { buildCsr, encodePublicKey } from '../x509/csr.js';
import type { ClusterAccess, NewObject } from './access.js';
import type { CertificateWaiters } from './certificates.js';
import { bootstrapperIdentity, nodeIdentity } from './identities.js';
import { buildNode, nodeCondition } from './objects.js';
import { retrying, sleepFor, sleepUntil, spawn, type Scheduler } from './schedule.js';
import type { Json } from '../json.js';

export const CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
export const MACHINE_NAMESPACE = 'openshift-machine-api';

export type KubeletPhase = 'waiting' | 'client-csr' | 'registered' | 'serving-csr' | 'ready';

export interface KubeletState {
  node: string;
  phase: KubeletPhase;
  clientCsrs: string[];
  servingCsrs: string[];
}


/** SANs a serving certificate asks for: DNS names and IPs from the machine's addresses. */
export function sansOf(addresses: JoiningMachine['addresses']): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = addresses.filter((a) => a.type === 'Hostname' || a.type.endsWith('DNS')).map((a) => a.address);
  const ipAddresses = addresses.filter((a) => a.type.endsWith('IP')).map((a) => a.address);
  return { dnsNames: [...new Set(dnsNames)], ipAddresses: [...new Set(ipAddresses)] };
}

interface MachineKeys {
  privateKey: KeyObject;
  /** SubjectPublicKeyInfo DER. */
  publicKey: Buffer;
}

const generate = promisify(generateKeyPair);

/** The machine's key pair, generated off the main thread by libuv's pool (≈0.1 ms for P-256). */
async function generateMachineKeys(type: KeyType): Promise<MachineKeys> {
  const pair = type.startsWith('rsa')
    ? await generate('rsa', { modulusLength: Number(type.slice(4)) })
    : await generate('ec', { namedCurve: type === 'ec-p384' ? 'P-384' : 'P-256' });
  return { privateKey: pair.privateKey, publicKey: encodePublicKey(pair.publicKey) };
}

export class Kubelet {
  readonly state: KubeletState;
  private keys: MachineKeys | undefined;
  private release!: () => void;
  /** Resolves when something outside the schedule boots the machine (the Assisted Installer finished installing it). */
  private readonly booted = new Promise<void>((resolve) => (this.release = resolve));

  constructor(
    private readonly machine: JoiningMachine,
    private readonly scenario: Scenario,
    private readonly access: ClusterAccess,
    private readonly s: Scheduler,
    private readonly certificates: CertificateWaiters,
  ) {
    this.state = { node: machine.name, phase: 'waiting', clientCsrs: [], servingCsrs: [] };
  }

  start(): void {
    spawn(this.s, `kubelet ${this.machine.name}`, () => this.run());
  }

  /** Boots a machine whose join is not scheduled (joinedBy `assisted-installer`); no effect on a scheduled one. */
  boot(): void {
    this.release();
  }

  /** Waits for the machine to boot: at joinAt, or when boot() is called; false when the simulation stopped first. */
  private async waitForBoot(): Promise<boolean> {
    if (this.machine.joinedBy !== 'assisted-installer') return sleepUntil(this.s, this.machine.joinAt);
    if (this.s.signal.aborted) return false;
    const stopped = new Promise<void>((resolve) => this.s.signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([this.booted, stopped]);
    return !this.s.signal.aborted;
  }

  private async run(): Promise<void> {
    const m = this.machine;
    if (!(await this.waitForBoot())) return;
    const bootedAt = this.s.clock.now();
    const openshift = this.scenario.flavour === 'openshift';
    if (openshift && !(await this.step('provision machine', () => this.setMachine({ phase: 'Provisioned' })))) return;
    this.keys = await generateMachineKeys(m.keyType);
    const rsa = m.keyType.startsWith('rsa');
    this.state.phase = 'client-csr';
    const bootstrap = this.access.as(bootstrapperIdentity(this.scenario.kubelet.bootstrapIdentity));
    const client = await this.requestCertificate(bootstrap, CLIENT_SIGNER, rsa ? ['digital signature', 'key encipherment', 'client auth'] : ['digital signature', 'client auth'], {}, this.state.clientCsrs, m.joinedBy === 'assisted-installer' ? bootedAt : this.s.startedAt + m.joinAt);
    if (!client) return;
    const asNode = this.access.as(nodeIdentity(m.name));
    const kubeletVersion = this.scenario.kubernetesVersion;
    const node = buildNode({ name: m.name, roles: m.roles, addresses: m.addresses, labels: m.labels, ready: false, kubeletVersion }, this.s.clock.now());
    if (!(await this.step('register node', () => registerNode(asNode, node)))) return;
    this.state.phase = 'registered';
    if (openshift && !(await this.step('link machine', () => this.setMachine({ phase: 'Running', nodeRef: { kind: 'Node', name: m.name } })))) return;
    this.state.phase = 'serving-csr';
    const serving = await this.requestCertificate(asNode, SERVING_SIGNER, rsa ? ['digital signature', 'key encipherment', 'server auth'] : ['digital signature', 'server auth'], sansOf(m.addresses), this.state.servingCsrs, this.s.clock.now());
    if (!serving) return;
    if (!(await sleepFor(this.s, m.readyDelay))) return;
    const markReady = () =>
      asNode.updateStatus('nodes', undefined, m.name, (current: KObject) => {
        const status = current.status as Json;
        const now = this.s.clock.now();
        status.conditions = (status.conditions as Json[]).map((c) => (c.type === 'Ready' ? nodeCondition('Ready', true, now, 'KubeletReady', 'kubelet is posting ready status') : c));
      });
    if (!(await this.step('post Ready', markReady))) return;
    this.state.phase = 'ready';
  }

  /**
   * Posts a CSR and waits for its certificate; a CSR still pending after the retry interval is abandoned
   * and a new one posted, as the kubelet does — so late approval leaves several pending CSRs per node.
   */
  private async requestCertificate(
    as: ClusterAccess,
    signerName: string,
    usages: string[],
    sans: { dnsNames?: string[]; ipAddresses?: string[] },
    record: string[],
    firstPostAt: number,
  ): Promise<string | undefined> {
    const cancels: Array<() => void> = [];
    let resolveIssued!: (cert: string) => void;
    const issued = new Promise<string>((resolve) => (resolveIssued = resolve));
    try {
      const interval = this.scenario.kubelet.csrRetryInterval;
      // A machine that joined before the scenario started has already posted (and abandoned) CSRs since then.
      let postedAt = firstPostAt;
      for (;;) {
        const keys = this.keys!;
        const pem = buildCsr({ commonName: `system:node:${this.machine.name}`, organizations: ['system:nodes'], ...sans }, keys.privateKey, keys.publicKey);
        const now = this.s.clock.now();
        const posted = await this.step(`post ${signerName === CLIENT_SIGNER ? 'client' : 'serving'} CSR`, () =>
          as.create(
            'certificatesigningrequests',
            { metadata: { generateName: 'csr-' }, spec: { request: encodeCsrForApi(pem), signerName, usages } },
            postedAt < now - 1000 ? postedAt : undefined,
          ),
        );
        if (!posted) return undefined;
        const created = posted.value;
        cancels.push(this.certificates.expect(created.metadata.name, resolveIssued));
        record.push(created.metadata.name);
        const wait = Math.max(0, postedAt + interval - now);
        postedAt += interval;
        if (wait === 0) continue;
        const local = new AbortController();
        const timeout = this.s.clock
          .sleep(wait, AbortSignal.any([this.s.signal, local.signal]))
          .then(() => 'retry' as const, () => 'stopped' as const);
        const outcome = await Promise.race([issued, timeout]);
        local.abort();
        if (outcome === 'stopped') return undefined;
        if (outcome !== 'retry') return outcome;
      }
    } finally {
      for (const cancel of cancels) cancel();
    }
  }

  /** One API step of the kubelet, retried on failure instead of ending the kubelet. */
  private step<T>(what: string, work: () => Promise<T>): Promise<{ value: T } | undefined> {
    return retrying(this.s, `kubelet ${this.machine.name}: ${what}`, work);
  }

  private async setMachine(status: Json): Promise<void> {
    await this.access.updateStatus('machines', MACHINE_NAMESPACE, this.machine.name, (machine: KObject) => {
      machine.status = { ...((machine.status as Json) ?? {}), ...status };
    });
  }
}

/** Creates the Node; one that already exists (a restarted kubelet, a retried create) counts as registered. */
async function registerNode(asNode: ClusterAccess, node: NewObject): Promise<void> {
  try {
    await asNode.create('nodes', node);
  } catch (error) {
    if ((error as { reason?: string }).reason !== 'AlreadyExists') throw error;
  }
}

export type { UserInfo };
