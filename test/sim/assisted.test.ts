// The simulation's Assisted Installer and SSO, reached as a rehearsal reaches them (https://api.openshift.com routed to
// the loopback, TLS trusted through the simulation's CA): tokens, routes and the host life cycle on an injected clock.

import { afterEach, describe, expect, it } from 'vitest';
import { createRehearsalNetwork, type RehearsalNetwork } from '../../src/net/index.js';
import { startSimulation, type ScenarioInput, type Simulation } from '../../src/sim/index.js';
import { VALIDATIONS } from '../../src/sim/assisted/index.js';
import { exchange } from '../../src/steps/http/transport.js';
import { VirtualClock } from '../../src/time/clock.js';
import { getScenarioSchema } from '../../src/sim/index.js';
import { eventually } from './helpers.js';

const OFFLINE = 'offline-token-for-tests-0123';
const API = 'https://api.openshift.com/api/assisted-install/v2';
const TOKEN_URL = 'https://sso.redhat.com/auth/realms/redhat-external/protocol/openid-connect/token';
const OCP_CLUSTER_ID = '5d5f4ac1-3ab1-4c4e-9f4a-8d5c2a0e7b11';
const PULL_SECRET = '{"auths":{"cloud.openshift.com":{"auth":"dGVzdA=="}}}';
const MIN = 60_000;

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function scenario(hosts: NonNullable<ScenarioInput['assistedInstaller']>['hosts']): ScenarioInput {
  return {
    name: 'ai-test',
    nodes: [{ name: 'sno-master', roles: ['control-plane', 'master', 'worker'] }],
    machines: [{ name: 'worker-1' }],
    kubelet: { readyDelay: '1m' },
    assistedInstaller: { offlineToken: OFFLINE, hosts },
  };
}

interface Harness {
  clock: VirtualClock;
  network: RehearsalNetwork;
  call(method: string, url: string, options?: { json?: unknown; form?: Record<string, string>; token?: string }): Promise<{ status: number; json: any }>;
  token(): Promise<string>;
}

async function start(hosts: NonNullable<ScenarioInput['assistedInstaller']>['hosts']): Promise<Harness> {
  const clock = new VirtualClock({ autoAdvance: false });
  sim = await startSimulation({ scenario: scenario(hosts), clock });
  const { hosts: names, port, caPem } = sim.impersonation!;
  const network = createRehearsalNetwork({ simulation: { hosts: names, port, ca: caPem } });
  const call: Harness['call'] = async (method, url, options = {}) => {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (options.json !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(options.json)];
    if (options.form) [headers['content-type'], body] = ['application/x-www-form-urlencoded', new URLSearchParams(options.form).toString()];
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const res = await exchange(network, { method, url, headers, body, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, json: JSON.parse(res.text) };
  };
  const token = async () => (await call('POST', TOKEN_URL, { form: { grant_type: 'refresh_token', client_id: 'cloud-services', refresh_token: OFFLINE } })).json.access_token as string;
  return { clock, network, call, token };
}

/** Imports the cluster and creates the infra-env; returns their ids. */
async function importAndCreateInfraEnv(h: Harness, token: string): Promise<{ clusterId: string; infraEnvId: string }> {
  const cluster = await h.call('POST', `${API}/clusters/import`, { token, json: { name: 'sno-day2', api_vip_dnsname: 'api.sno.example.com', openshift_cluster_id: OCP_CLUSTER_ID } });
  expect(cluster.status).toBe(201);
  const infraEnv = await h.call('POST', `${API}/infra-envs`, { token, json: { name: 'sno-day2-infra-env', cluster_id: cluster.json.id, pull_secret: PULL_SECRET, image_type: 'full-iso' } });
  expect(infraEnv.status).toBe(201);
  return { clusterId: cluster.json.id, infraEnvId: infraEnv.json.id };
}

const hostsOf = async (h: Harness, token: string, clusterId: string) => (await h.call('GET', `${API}/clusters/${clusterId}`, { token })).json.hosts as any[];
const failing = (host: any) =>
  Object.values(JSON.parse(host.validations_info) as Record<string, Array<{ id: string; status: string }>>)
    .flat()
    .filter((v) => v.status !== 'success')
    .map((v) => `${v.id}=${v.status}`);

describe('simulated SSO', () => {
  it('trades the offline token for a signed JWT that lasts tokenLifetime; an expired one gets 401', async () => {
    const h = await start([]);
    const res = await h.call('POST', TOKEN_URL, { form: { grant_type: 'refresh_token', client_id: 'cloud-services', refresh_token: OFFLINE } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const jwt = res.json.access_token as string;
    expect(jwt.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(900);

    const events = `${API}/events?cluster_id=none`;
    await h.clock.advance(15 * MIN - 1000);
    expect((await h.call('GET', events, { token: jwt })).status).toBe(200);
    await h.clock.advance(1000);
    const expired = await h.call('GET', events, { token: jwt });
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ kind: 'Error', code: '401', reason: 'Unauthorized: token is expired' });
    expect(sim!.assisted!.summary()).toMatchObject({ tokensIssued: 1, expiredTokens: 1 });
  });

  it("answers an unknown refresh token, a wrong grant and a forged or missing bearer as the real SSO and API do", async () => {
    const h = await start([]);
    const wrong = await h.call('POST', TOKEN_URL, { form: { grant_type: 'refresh_token', client_id: 'cloud-services', refresh_token: 'not-the-offline-token' } });
    expect(wrong).toEqual({ status: 400, json: { error: 'invalid_grant', error_description: 'Invalid refresh token' } });
    const grant = await h.call('POST', TOKEN_URL, { form: { grant_type: 'password', client_id: 'cloud-services' } });
    expect(grant.json.error).toBe('unsupported_grant_type');
    const jwt = await h.token();
    const [header, payload] = jwt.split('.');
    const forged = `${header}.${payload}.${Buffer.from('forged-signature-of-32-bytes-xxx').toString('base64url')}`;
    expect((await h.call('GET', `${API}/events`, { token: forged })).json.reason).toBe('Unauthorized: invalid token');
    expect((await h.call('GET', `${API}/events`)).json.reason).toBe('Unauthorized: no Authorization header');
  });
});

describe('simulated Assisted Installer', () => {
  it('imports the cluster and creates the infra-env, refusing what the service refuses', async () => {
    const h = await start([]);
    const token = await h.token();
    const missing = await h.call('POST', `${API}/clusters/import`, { token, json: { name: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.json.reason).toContain('api_vip_dnsname in body is required');
    const { clusterId, infraEnvId } = await importAndCreateInfraEnv(h, token);
    const cluster = await h.call('GET', `${API}/clusters/${clusterId}`, { token });
    expect(cluster.json).toMatchObject({ kind: 'AddHostsCluster', status: 'adding-hosts', openshift_cluster_id: OCP_CLUSTER_ID, api_vip_dnsname: 'api.sno.example.com', hosts: [] });
    const infraEnv = await h.call('GET', `${API}/infra-envs/${infraEnvId}`, { token });
    expect(infraEnv.json.download_url).toMatch(new RegExp(`^https://api\\.openshift\\.com/api/assisted-images/images/${infraEnvId}\\?arch=x86_64&type=full-iso`));
    const badSecret = await h.call('POST', `${API}/infra-envs`, { token, json: { name: 'e', cluster_id: clusterId, pull_secret: 'not json' } });
    expect(badSecret.status).toBe(400);
    const unknown = await h.call('POST', `${API}/infra-envs`, { token, json: { name: 'e', cluster_id: '00000000-0000-0000-0000-000000000000', pull_secret: PULL_SECRET } });
    expect(unknown.status).toBe(404);
    expect((await h.call('GET', `${API}/clusters/nope`, { token })).status).toBe(404);
    expect((await h.call('DELETE', `${API}/clusters/${clusterId}`, { token })).status).toBe(405);
  });

  it('boots the host after bootAt, fails its validations until they pass, installs it in stages, then its machine joins', async () => {
    const h = await start([
      { name: 'worker-1', bootAt: '2m', installDuration: '20m', validations: [{ id: 'ntp-synced', until: '8m' }, { id: 'api-int-domain-name-resolved-correctly', status: 'pending', until: '8m' }] },
    ]);
    const token = () => h.token();
    // no host before the infra-env exists, however long one waits
    await h.clock.advance(30 * MIN);
    const { clusterId, infraEnvId } = await importAndCreateInfraEnv(h, await token());
    await h.clock.advance(2 * MIN - 1);
    expect(await hostsOf(h, await token(), clusterId)).toEqual([]);
    await h.clock.advance(1);
    const [discovering] = await hostsOf(h, await token(), clusterId);
    expect(discovering).toMatchObject({ kind: 'AddToExistingClusterHost', requested_hostname: 'worker-1', status: 'discovering', infra_env_id: infraEnvId });
    const hostId = discovering.id as string;
    const install = `${API}/infra-envs/${infraEnvId}/hosts/${hostId}/actions/install`;

    await h.clock.advance(1 * MIN);
    const [insufficient] = await hostsOf(h, await token(), clusterId);
    expect(insufficient.status).toBe('insufficient');
    expect(failing(insufficient)).toEqual(['ntp-synced=failure', 'api-int-domain-name-resolved-correctly=pending']);
    expect(insufficient.status_info).toContain("Host couldn't synchronize with any NTP server");
    const early = await h.call('POST', install, { token: await token() });
    expect(early.status).toBe(409);
    expect(early.json.reason).toBe('Host worker-1 is in insufficient state, host can be installed only in known state');

    await h.clock.advance(7 * MIN);
    const [known] = await hostsOf(h, await token(), clusterId);
    expect(known.status).toBe('known');
    expect(failing(known)).toEqual([]);

    expect((await h.call('POST', install, { token: await token() })).status).toBe(202);
    const seen: string[] = [];
    for (let minute = 0; minute <= 20; minute += 2) {
      const [host] = await hostsOf(h, await token(), clusterId);
      seen.push(`${host.status} ${host.progress.current_stage} ${host.progress.installation_percentage}`);
      await h.clock.advance(2 * MIN);
    }
    expect(seen[0]).toBe('installing Starting installation 0');
    expect(seen).toContain('installing-in-progress Writing image to disk 40');
    expect(seen).toContain('installing-in-progress Rebooting 80');
    expect(seen.at(-1)).toBe('added-to-existing-cluster Done 100');
    // the install ended: worker-1 boots and its kubelet asks for a client certificate
    const s = sim!;
    await eventually(() => s.summary().csrs.items.find((c) => c.node === 'worker-1'));

    const events = (await h.call('GET', `${API}/events?cluster_id=${clusterId}&host_id=${hostId}`, { token: await token() })).json as Array<{ message: string; event_time: string }>;
    const messages = events.map((e) => e.message);
    expect(messages[0]).toBe('Host worker-1: Successfully registered');
    expect(messages).toContain('Host worker-1: updated status from discovering to insufficient');
    expect(messages).toContain('Host worker-1: updated status from insufficient to known');
    expect(messages).toContain('Host worker-1: reached installation stage Writing image to disk');
    expect(messages.at(-1)).toBe('Host worker-1: updated status from installing-in-progress to added-to-existing-cluster (Done)');
    expect(events.map((e) => e.event_time)).toEqual([...events.map((e) => e.event_time)].sort());
    expect(s.assisted!.summary().hosts).toEqual([
      { name: 'worker-1', status: 'added-to-existing-cluster', history: ['discovering', 'insufficient', 'known', 'installing', 'installing-in-progress', 'added-to-existing-cluster'] },
    ]);
  });

  it('keeps a host whose validation never passes insufficient, and its machine out of the cluster', async () => {
    const h = await start([{ name: 'worker-1', bootAt: '1m', validations: [{ id: 'has-min-memory' }] }]);
    const { clusterId, infraEnvId } = await importAndCreateInfraEnv(h, await h.token());
    await h.clock.advance(6 * 60 * MIN);
    const [host] = await hostsOf(h, await h.token(), clusterId);
    expect(host.status).toBe('insufficient');
    expect(failing(host)).toEqual(['has-min-memory=failure']);
    expect((await h.call('POST', `${API}/infra-envs/${infraEnvId}/hosts/${host.id}/actions/install`, { token: await h.token() })).status).toBe(409);
    expect(sim!.summary().csrs.items).toEqual([]);
  });

  it("lists in the scenario schema exactly the validations the service knows", () => {
    const schema = getScenarioSchema() as any;
    const ids = schema.properties.assistedInstaller.properties.hosts.items.properties.validations.items.properties.id.enum;
    expect([...ids].sort()).toEqual(VALIDATIONS.map((v) => v.id).sort());
  });
});
