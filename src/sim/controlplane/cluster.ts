// The renewed cluster of a control-plane scenario: nodes with root filesystems, one API server per node serving its
// apiserver.crt and trusting its ca.crt, containers the kubelet restarts, and the admin cluster's kubeconfig secret.

import { KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { NodeSpec, NodeTransport } from '../../node/index.js';
import type { Exec } from '../../proc/types.js';
import { ClusterAccess, CONTROLLER } from '../actors/access.js';
import { startActors } from '../actors/index.js';
import type { Scheduler } from '../actors/schedule.js';
import { Authenticator } from '../api/auth.js';
import { ApiCore } from '../api/core.js';
import { Counters } from '../api/counters.js';
import { FaultInjector } from '../api/faults.js';
import { openapiDocument } from '../api/openapi.js';
import { ApiServer } from '../api/server.js';
import type { ClusterPki } from '../pki.js';
import { createIssuer } from '../x509/cert.js';
import { selectResources } from '../resources.js';
import type { ControlPlaneSpec, Scenario } from '../scenario/types.js';
import { seedCluster } from '../seed.js';
import { ObjectStore } from '../store/store.js';
import { ContainerRuntime } from './crictl.js';
import { CONTAINERS, KUBELET_PKI_DIR, KUBERNETES_DIR, LEAVES } from './layout.js';
import { createClusterCas, hostPath, rotateKubeletClient, writeKubeconfigs, writeNodePki } from './rootfs.js';
import { createSimulatedTransport, HOST_TOOLS, type SimulatedNode } from './transport.js';

/** One certificate's expiry when the scenario started and now. */
export interface CertificateChange {
  name: string;
  before: string | undefined;
  after: string | undefined;
}

export interface ControlPlaneSummary {
  cluster: string;
  nodes: { name: string; url: string; certificates: CertificateChange[] }[];
  /** Secret CLUSTER-kubeconfig in the admin cluster: when it was last brought in step with the renewed cluster. */
  kubeconfigSecret: { namespace: string; name: string; updates: number };
}

export interface ControlPlane {
  readonly root: string;
  /** A home directory standing in for the workstation's during a rehearsal. */
  readonly workstationHome: string;
  nodeNames(): string[];
  /** The node's API server URL (https://127.0.0.1:PORT). */
  url(node: string): string;
  rootfs(node: string): string;
  /** A transport onto the simulated node named like `spec`, or undefined when no such node is simulated. */
  openNode(spec: NodeSpec, exec: Exec): NodeTransport | undefined;
  summary(): ControlPlaneSummary;
  stop(): Promise<void>;
}

export interface StartControlPlaneOptions {
  spec: ControlPlaneSpec;
  scenario: Scenario;
  scheduler: Scheduler;
  /** The admin cluster, where CLUSTER-kubeconfig lives. */
  admin: ClusterAccess;
}

interface NodeState extends SimulatedNode {
  server: ApiServer;
  url: string;
  caPem: string;
  serving: boolean;
}

/** Paths whose expiry the report compares: every kubeadm leaf, the CAs and the kubelet's certificates. */
const TRACKED = [
  ...LEAVES.map((l) => ({ name: l.name, path: l.kubeconfig ? `${KUBERNETES_DIR}/${l.file}` : `${KUBERNETES_DIR}/${l.file}.crt`, kubeconfig: l.kubeconfig })),
  { name: 'kubelet-client-current.pem', path: `${KUBELET_PKI_DIR}/kubelet-client-current.pem`, kubeconfig: false },
  { name: 'kubelet-server-current.pem', path: `${KUBELET_PKI_DIR}/kubelet-server-current.pem`, kubeconfig: false },
];

function certificateExpiry(rootfs: string, path: string, kubeconfig: boolean): string | undefined {
  try {
    const text = readFileSync(hostPath(rootfs, path), 'utf8');
    const pem = kubeconfig ? Buffer.from(/client-certificate-data: (\S+)/.exec(text)?.[1] ?? '', 'base64').toString('utf8') : text;
    return new Date(new X509Certificate(pem).validTo).toISOString();
  } catch {
    return undefined;
  }
}

function validAt(rootfs: string, path: string, kubeconfig: boolean, now: number): boolean {
  const expiry = certificateExpiry(rootfs, path, kubeconfig);
  return expiry !== undefined && Date.parse(expiry) > now;
}

/** Symlinks to the host's HOST_TOOLS found on PATH (a missing one simply is not there, as on a minimal node). */
async function linkHostTools(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const searched = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter((d) => d.startsWith('/'));
  for (const tool of HOST_TOOLS) {
    for (const candidate of searched.map((d) => join(d, tool))) {
      if (await access(candidate, constants.X_OK).then(() => true, () => false)) {
        await symlink(candidate, join(dir, tool));
        break;
      }
    }
  }
  return dir;
}

async function readTls(rootfs: string): Promise<{ key: string; cert: string; caPem: string }> {
  const read = (p: string) => readFile(hostPath(rootfs, `${KUBERNETES_DIR}/pki/${p}`), 'utf8');
  const [key, cert, caPem] = await Promise.all([read('apiserver.key'), read('apiserver.crt'), read('ca.crt')]);
  return { key, cert, caPem };
}

export async function startControlPlane(options: StartControlPlaneOptions): Promise<ControlPlane> {
  const { spec, scheduler } = options;
  const clock = scheduler.clock;
  const now = clock.now();
  const root = await mkdtemp(join(tmpdir(), 'opsbook-sim-nodes-'));
  const workstationHome = join(root, 'workstation', 'home');
  await mkdir(workstationHome, { recursive: true });
  const stops: Array<() => void | Promise<void>> = [];
  try {
    const plan = {
      keyType: spec.keyType,
      now,
      caExpiresIn: spec.caExpiresIn,
      leafExpiresIn: (name: string) => spec.leafExpiresIn[name] ?? spec.leafExpiresIn['*']!,
      kubeletExpiresIn: spec.kubeletExpiresIn,
    };
    const cas = await createClusterCas(plan);
    const toolPath = await linkHostTools(join(root, 'host-tools'));

    // The renewed cluster's own objects: its nodes, kube-system and etcd-defrag, as kubeadm and its add-ons leave them.
    const renewed: Scenario = {
      ...options.scenario,
      name: spec.clusterName,
      flavour: 'kubernetes',
      nodes: spec.nodes.map((n) => ({ name: n.name, roles: ['control-plane'], addresses: [{ type: 'InternalIP', address: n.address }, { type: 'Hostname', address: n.name }], ready: true, labels: {} })),
      machines: [],
      rogues: [],
      operators: [],
      imageRegistry: undefined,
      workloads: spec.workloads,
      users: [],
      faults: { seed: 1, errors: [], throttle: [], latency: [], resets: [], watchCutMs: 0, watchCutAbrupt: false },
      assistedInstaller: undefined,
      controlPlane: undefined,
    };
    const store = new ObjectStore({ historySize: renewed.api.historySize, now: () => clock.now() });
    const defs = selectResources('kubernetes');
    const core = new ApiCore(store, defs);
    const access = new ClusterAccess(core, CONTROLLER);
    await seedCluster(access, renewed, now);
    const counters = new Counters();
    const [major, minor] = renewed.kubernetesVersion.replace(/^v/, '').split('.');

    const nodes = new Map<string, NodeState>();
    for (const identity of spec.nodes) {
      const rootfs = join(root, 'nodes', identity.name);
      const issued = await writeNodePki(rootfs, identity, cas, plan);
      // What every node has besides its PKI: scratch space and root's home.
      await Promise.all(['/tmp', '/root'].map((d) => mkdir(hostPath(rootfs, d), { recursive: true })));
      const tls = await readTls(rootfs);
      // The hooks below read `state` only once requests and crictl calls come, after it is built.
      const server = new ApiServer({
        core,
        store,
        defs,
        auth: new Authenticator(),
        counters,
        faults: new FaultInjector(renewed.faults),
        tls,
        version: {
          major: major!, minor: minor!, gitVersion: renewed.kubernetesVersion, gitCommit: '0000000000000000000000000000000000000000',
          gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.6', compiler: 'gc', platform: 'linux/amd64',
        },
        bookmarkIntervalMs: renewed.api.bookmarkIntervalMs,
        watchTimeoutSeconds: renewed.api.watchTimeoutSeconds,
        openapi: (path) => openapiDocument(path, defs),
        clientCertificates: { caPem: () => state.caPem, now: () => clock.now() },
      });
      const port = await server.listen(0);
      stops.push(() => server.close());
      const url = `https://127.0.0.1:${port}`;
      await writeKubeconfigs(rootfs, identity, cas, issued, url);
      const runtime = new ContainerRuntime(identity.name, CONTAINERS, {
        now: () => clock.now(),
        stopped: (name) => {
          if (name !== 'kube-apiserver') return;
          state.serving = false;
          server.stopServing();
        },
        recreate: async (name) => {
          await clock.sleep(spec.restartDelay, scheduler.signal);
          if (name !== 'kube-apiserver') return;
          // The new kube-apiserver process reads its certificate, key and client CA from disk.
          const fresh = await readTls(rootfs);
          state.caPem = fresh.caPem;
          server.resumeServing(fresh);
          state.serving = true;
          await syncSecret(identity.name);
          // With the API server back, the kubelet's certificate manager gets its due client certificate.
          if (validAt(rootfs, `${KUBERNETES_DIR}/pki/apiserver.crt`, false, clock.now())) {
            await rotateKubeletClient(rootfs, identity, cas, spec.keyType, clock.now());
          }
        },
      }, { deadlineOnce: spec.stopDeadlineExceeded });
      const state: NodeState = {
        name: identity.name,
        rootfs,
        server,
        url,
        runtime,
        toolPath,
        caPem: tls.caPem,
        serving: true,
        renewalsBeforeFailure: spec.renewFailsAfter,
        now: () => clock.now(),
        clusterReachable: () =>
          state.serving &&
          validAt(rootfs, `${KUBERNETES_DIR}/pki/apiserver.crt`, false, clock.now()) &&
          validAt(rootfs, `${KUBERNETES_DIR}/admin.conf`, true, clock.now()),
      };
      nodes.set(identity.name, state);
    }
    // The renewed cluster's controllers; its CSR signer is the cluster's own CA (kube-controller-manager signs with
    // pki/ca.key), not the admin cluster's.
    const firstTls = await readTls(nodes.get(spec.nodes[0]!.name)!.rootfs);
    const signerPki: ClusterPki = {
      ca: cas.ca,
      caPem: cas.ca.certificatePem,
      serverCertPem: firstTls.cert,
      serverKeyPem: firstTls.key,
      issuer: createIssuer(cas.ca.certificatePem, KeyObject.from(cas.ca.keys.privateKey)),
    };
    const actors = await startActors({ access, scenario: renewed, pki: signerPki, scheduler });
    stops.push(() => actors.stop());

    // The admin cluster's copy of the cluster's admin kubeconfig; it follows the first node (the control-plane
    // endpoint its server names) once that node's API server is back with renewed certificates.
    const first = spec.nodes[0]!.name;
    const secretName = `${spec.clusterName}-kubeconfig`;
    let secretUpdates = 0;
    const adminConf = (node: string) => readFile(hostPath(nodes.get(node)!.rootfs, `${KUBERNETES_DIR}/admin.conf`), 'utf8');
    if (!options.admin.get('namespaces', undefined, spec.namespace)) await options.admin.create('namespaces', { metadata: { name: spec.namespace } });
    await options.admin.create('secrets', {
      metadata: { name: secretName, namespace: spec.namespace, labels: { 'baremetal.cluster.gke.io/cluster': spec.clusterName } },
      type: 'Opaque',
      data: { value: Buffer.from(await adminConf(first)).toString('base64') },
    });
    const syncSecret = async (node: string) => {
      if (node !== first) return;
      const value = Buffer.from(await adminConf(first)).toString('base64');
      const secret = options.admin.get('secrets', spec.namespace, secretName);
      if (!secret || (secret as { data?: Record<string, string> }).data?.value === value) return;
      await options.admin.mergePatch('secrets', spec.namespace, secretName, { data: { value } });
      secretUpdates++;
    };

    if (spec.workstationKubeconfig) {
      const path = join(workstationHome, spec.workstationKubeconfig.slice(2));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await adminConf(first), { mode: 0o600 });
    }

    const before = new Map([...nodes.values()].map((n) => [n.name, TRACKED.map((t) => certificateExpiry(n.rootfs, t.path, t.kubeconfig))]));
    return {
      root,
      workstationHome,
      nodeNames: () => [...nodes.keys()],
      url: (node) => nodes.get(node)!.url,
      rootfs: (node) => nodes.get(node)!.rootfs,
      openNode(nodeSpec, exec) {
        const node = nodes.get(nodeSpec.name);
        return node ? createSimulatedTransport(nodeSpec, node, exec) : undefined;
      },
      summary: () => ({
        cluster: spec.clusterName,
        nodes: [...nodes.values()].map((n) => ({
          name: n.name,
          url: n.url,
          certificates: TRACKED.map((t, i) => ({ name: t.name, before: before.get(n.name)![i], after: certificateExpiry(n.rootfs, t.path, t.kubeconfig) })),
        })),
        kubeconfigSecret: { namespace: spec.namespace, name: secretName, updates: secretUpdates },
      }),
      async stop() {
        for (const stop of stops.reverse()) await stop();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const stop of stops.reverse()) await stop();
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
