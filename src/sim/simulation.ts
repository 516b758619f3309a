// Assembles a running simulated cluster: PKI, store, API core, controllers and kubelets, HTTPS server, kubeconfig.

import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScaledClock, systemClock, type Clock } from '../time/clock.js';
import { Authenticator, type UserInfo } from './api/auth.js';
import { ApiCore } from './api/core.js';
import { Counters } from './api/counters.js';
import { FaultInjector } from './api/faults.js';
import { ApiServer } from './api/server.js';
import { ClusterAccess, CONTROLLER } from './actors/access.js';
import { startActors, type Actors } from './actors/index.js';
import { writeKubeconfig } from './kubeconfig.js';
import { createClusterPki, issueServingCertificate } from './pki.js';
import { startAssistedService, type AssistedService } from './assisted/index.js';
import { startControlPlane, type ControlPlane } from './controlplane/index.js';
import { selectResources } from './resources.js';
import type { ScenarioInput } from './scenario/input.js';
import { loadScenario, parseScenario } from './scenario/load.js';
import type { Scenario } from './scenario/types.js';
import { seedCluster } from './seed.js';
import { ObjectStore } from './store/store.js';
import { summarize, type SimSummary } from './summary.js';
import { openapiDocument } from './api/openapi.js';

export interface StartSimulationOptions {
  /** A scenario file path, a scenario object as written (validated here), or one from loadScenario(). */
  scenario: string | ScenarioInput | Scenario;
  /** Simulated seconds per real second. @default the scenario's timeScale (1) */
  timeScale?: number;
  /** @default 0 (any free port) */
  port?: number;
  /** Where to write the kubeconfig. @default a file in a temporary directory removed on stop() */
  kubeconfigOut?: string;
  /** Use this clock instead of one built from timeScale (e.g. a VirtualClock in tests). */
  clock?: Clock;
}

export interface Simulation {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly kubeconfigPath: string;
  /** The kubeconfig text (it holds the admin token). */
  readonly kubeconfig: string;
  readonly adminToken: string;
  readonly caPem: string;
  /** The simulation's clock: give it to the engine so timeouts and backoff scale the same way. */
  readonly clock: Clock;
  readonly scenario: Scenario;
  /** Simulated epoch ms when the scenario started. */
  readonly startedAt: number;
  /** In-process admin access to the cluster's objects (test setup, assertions). */
  readonly access: ClusterAccess;
  /** The Assisted Installer and SSO, when the scenario has them (requests, tokens, host statuses). */
  readonly assisted: AssistedService | undefined;
  /** The simulated kubeadm control-plane nodes and their cluster, when the scenario has them. */
  readonly controlPlane: ControlPlane | undefined;
  /** Hosts the simulation answers for and where (rehearse routes requests for them there), when it impersonates any. */
  readonly impersonation: { hosts: string[]; port: number; caPem: string } | undefined;
  /** Requests served, by "verb resource" (e.g. "update certificatesigningrequests/approval"); dry runs as "patch(dryRun) configs". */
  counters(): Record<string, number>;
  totalRequests(): number;
  /** Faults injected so far, by kind. */
  faults(): Record<string, number>;
  resetCounters(): void;
  summary(): SimSummary;
  /** Same as summary(). */
  snapshot(): SimSummary;
  /** Stops the server, the kubelets and controllers; removes the temporary kubeconfig. */
  stop(): Promise<void>;
}

/** Accepts an already normalised scenario as is (its faults carry watchCutMs). */
function isNormalized(value: ScenarioInput | Scenario): value is Scenario {
  const faults = (value as Scenario).faults as Partial<Scenario['faults']> | undefined;
  return typeof faults?.watchCutMs === 'number' && typeof (value as Scenario).kubelet?.csrRetryInterval === 'number';
}

async function resolveScenario(input: StartSimulationOptions['scenario']): Promise<Scenario> {
  if (typeof input === 'string') return loadScenario(input);
  return isNormalized(input) ? input : parseScenario(input);
}

export async function startSimulation(options: StartSimulationOptions): Promise<Simulation> {
  const scenario = await resolveScenario(options.scenario);
  const timeScale = options.timeScale ?? scenario.timeScale;
  const clock = options.clock ?? (timeScale === 1 && scenario.start === undefined ? systemClock : createScaledClock(timeScale, scenario.start ?? Date.now()));
  const startedAt = clock.now();
  const pki = await createClusterPki();
  const store = new ObjectStore({ historySize: scenario.api.historySize, now: () => clock.now() });
  const defs = selectResources(scenario.flavour);
  const core = new ApiCore(store, defs);
  const access = new ClusterAccess(core, CONTROLLER);
  const counters = new Counters();
  const errors: string[] = [];
  const stopController = new AbortController();
  // Every sleeping kubelet listens on it: 1,000 machines are 1,000 listeners, not a leak.
  setMaxListeners(0, stopController.signal);
  const scheduler = {
    clock,
    startedAt,
    signal: stopController.signal,
    report: (error: unknown, where: string) => errors.push(`${where}: ${(error as Error)?.message ?? String(error)}`),
  };
  await seedCluster(access, scenario, startedAt);
  const actors: Actors = await startActors({ access, scenario, pki, scheduler });

  const adminToken = randomBytes(24).toString('base64url');
  const admin: UserInfo = scenario.flavour === 'openshift'
    ? { username: 'system:admin', groups: ['system:masters'] }
    : { username: 'kubernetes-admin', groups: ['system:masters', 'kubeadm:cluster-admins'] };
  const auth = new Authenticator();
  auth.addToken(adminToken, admin);
  for (const user of scenario.users) auth.addToken(user.token, { username: user.name, groups: user.groups });
  const [major, minor] = scenario.kubernetesVersion.replace(/^v/, '').split('.');
  const server = new ApiServer({
    core,
    store,
    defs,
    auth,
    counters,
    faults: new FaultInjector(scenario.faults),
    tls: { key: pki.serverKeyPem, cert: pki.serverCertPem },
    version: {
      major: major!,
      minor: minor!,
      gitVersion: scenario.kubernetesVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.23.6',
      compiler: 'gc',
      platform: 'linux/amd64',
    },
    bookmarkIntervalMs: scenario.api.bookmarkIntervalMs,
    watchTimeoutSeconds: scenario.api.watchTimeoutSeconds,
    openapi: (path) => openapiDocument(path, defs),
  });
  let port: number;
  try {
    port = await server.listen(options.port ?? 0);
  } catch (error) {
    stopController.abort();
    actors.stop();
    throw error;
  }
  let assisted: AssistedService | undefined;
  if (scenario.assistedInstaller) {
    const spec = scenario.assistedInstaller;
    try {
      const serving = await issueServingCertificate(pki, spec.impersonates);
      assisted = await startAssistedService({ spec, clock, tls: { key: serving.keyPem, cert: serving.certPem }, onInstalled: (name) => actors.boot(name) });
    } catch (error) {
      stopController.abort();
      actors.stop();
      await server.close();
      throw error;
    }
  }
  let controlPlane: ControlPlane | undefined;
  if (scenario.controlPlane) {
    try {
      controlPlane = await startControlPlane({ spec: scenario.controlPlane, scenario, scheduler, admin: access });
    } catch (error) {
      stopController.abort();
      actors.stop();
      await Promise.all([server.close(), assisted?.stop()]);
      throw error;
    }
  }
  const url = `https://127.0.0.1:${port}`;
  let tempDir: string | undefined;
  let kubeconfigPath = options.kubeconfigOut;
  if (!kubeconfigPath) {
    tempDir = await mkdtemp(join(tmpdir(), 'opsbook-sim-'));
    kubeconfigPath = join(tempDir, 'kubeconfig');
  }
  const kubeconfig = await writeKubeconfig(kubeconfigPath, { server: url, caPem: pki.caPem, token: adminToken });
  let stopped: Promise<void> | undefined;
  const summary = () => ({
    ...summarize({
      access,
      scenario: scenario.name,
      flavour: scenario.flavour,
      now: clock.now(),
      startedAt,
      kubelets: actors.kubelets(),
      rogues: actors.rogues(),
      counters,
      errors,
    }),
    ...(controlPlane ? { controlPlane: controlPlane.summary() } : {}),
  });
  return {
    url,
    port,
    kubeconfigPath,
    kubeconfig,
    adminToken,
    caPem: pki.caPem,
    clock,
    scenario,
    startedAt,
    access,
    assisted,
    controlPlane,
    impersonation: assisted && { hosts: [...scenario.assistedInstaller!.impersonates], port: assisted.port, caPem: pki.caPem },
    counters: () => counters.snapshot(),
    totalRequests: () => counters.totalRequests,
    faults: () => counters.faultSnapshot(),
    resetCounters: () => counters.reset(),
    summary,
    snapshot: summary,
    stop: () => {
      stopped ??= (async () => {
        stopController.abort();
        actors.stop();
        await Promise.all([server.close(), assisted?.stop(), controlPlane?.stop()]);
        if (tempDir) await rm(tempDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
