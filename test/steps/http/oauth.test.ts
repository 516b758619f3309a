// The http step's OAuth2 refresh-token grant against the simulation's SSO and Assisted Installer (15-minute JWTs on a
// virtual clock), reached as a rehearsal reaches them: the real host names, routed to the loopback.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import { createRehearsalNetwork, type RehearsalNetwork } from '../../../src/net/index.js';
import { startAssistedService, type AssistedService } from '../../../src/sim/assisted/index.js';
import { createClusterPki, issueServingCertificate } from '../../../src/sim/pki.js';
import { httpStep } from '../../../src/steps/http/http.js';
import { exchange } from '../../../src/steps/http/transport.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { createTestContext, runStep } from '../openshift/context.js';

const OFFLINE = 'offline-token-abcdefghijkl';
const API = 'https://api.openshift.com/api/assisted-install/v2';
const TOKEN_URL = 'https://sso.redhat.com/auth/realms/redhat-external/protocol/openid-connect/token';
const HOSTS = ['api.openshift.com', 'sso.redhat.com'];

interface Served {
  service: AssistedService;
  network: RehearsalNetwork;
}
let served: Served | undefined;
afterEach(async () => {
  await served?.service.stop();
  served = undefined;
});

/** The simulation's Assisted Installer alone, its one host booting `bootAfterMs` after the infra-env exists. */
async function serve(clock: VirtualClock, bootAfterMs: number): Promise<Served> {
  const pki = await createClusterPki();
  const tls = await issueServingCertificate(pki, HOSTS);
  const spec = { impersonates: HOSTS, offlineToken: OFFLINE, tokenLifetime: 15 * 60_000, hosts: [{ name: 'worker-1', bootAfter: bootAfterMs, validations: [], installDuration: 20 * 60_000 }] };
  const service = await startAssistedService({ spec, clock, tls: { key: tls.keyPem, cert: tls.certPem }, onInstalled: () => {} });
  served = { service, network: createRehearsalNetwork({ simulation: { hosts: HOSTS, port: service.port, ca: pki.caPem } }) };
  return served;
}

async function importCluster(s: Served, clock: VirtualClock): Promise<string> {
  const { ctx } = createTestContext({ clock, secrets: [OFFLINE] });
  const out = await runStep(
    httpStep,
    {
      method: 'POST',
      url: `${API}/clusters/import`,
      oauth2: { tokenUrl: TOKEN_URL, refreshToken: OFFLINE },
      json: { name: 'sno-day2', api_vip_dnsname: 'api.sno.example.com', openshift_cluster_id: '5d5f4ac1-3ab1-4c4e-9f4a-8d5c2a0e7b11' },
      outputs: { id: 'response.json.id' },
    },
    { ...ctx, network: s.network },
  );
  return out.id as string;
}

describe('http oauth2 (refresh-token grant)', () => {
  it('renews the 15-minute JWT during a long poll instead of failing with 401', async () => {
    const clock = new VirtualClock();
    const server = await serve(clock, 50 * 60_000);
    const clusterId = await importCluster(server, clock);
    const created = createTestContext({ clock, secrets: [OFFLINE] });
    const { recorded } = created;
    const ctx = { ...created.ctx, network: server.network };
    await runStep(
      httpStep,
      {
        method: 'POST',
        url: `${API}/infra-envs`,
        oauth2: { tokenUrl: TOKEN_URL, refreshToken: OFFLINE },
        json: { name: 'w', cluster_id: clusterId, pull_secret: '{"auths":{}}', image_type: 'full-iso' },
      },
      ctx,
    );
    const before = server.service.tokensIssued();
    const out = await runStep(
      httpStep,
      {
        url: `${API}/clusters/${clusterId}`,
        oauth2: { tokenUrl: TOKEN_URL, refreshToken: OFFLINE },
        until: 'response.json.hosts.size() > 0',
        interval: '1m',
        outputs: { hostId: 'response.json.hosts[0].id' },
      },
      ctx,
    );
    expect(out.hostId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.polls).toBe(51);
    // 50 minutes of polling with 15-minute tokens renewed a minute early: 4 tokens, and never a 401.
    expect(server.service.tokensIssued() - before).toBe(4);
    expect(server.service.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(JSON.stringify(recorded)).not.toMatch(/eyJ/);
  });

  it('with a token fetched once (static bearer) the same poll dies with a permanent 401 after 15 minutes', async () => {
    const clock = new VirtualClock();
    const server = await serve(clock, 50 * 60_000);
    const clusterId = await importCluster(server, clock);
    const res = await exchange(server.network, {
      method: 'POST',
      url: TOKEN_URL,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'cloud-services', refresh_token: OFFLINE }).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const { access_token: jwt } = JSON.parse(res.text) as { access_token: string };
    const { ctx } = createTestContext({ clock, secrets: [jwt] });
    const error = await runStep(
      httpStep,
      { url: `${API}/clusters/${clusterId}`, bearer: jwt, until: 'response.json.hosts.size() > 0', interval: '1m' },
      { ...ctx, network: server.network },
    ).catch((e: unknown) => e as StepError);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorClass).toBe('permanent');
    expect((error as StepError).message).toContain('401 Unauthorized');
    expect((error as StepError).message).not.toContain(jwt);
  });

  it('renews once on a 401 (token revoked early) and goes on', async () => {
    let issued = 0;
    const http = createServer((req, res) => {
      if (req.url === '/token') {
        issued++;
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ access_token: `token-number-${issued}`, expires_in: 3600 }));
      }
      const ok = req.headers.authorization === 'Bearer token-number-2';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok }));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const { ctx } = createTestContext();
      const out = await runStep(httpStep, { url: `${url}/api`, oauth2: { tokenUrl: `${url}/token`, refreshToken: OFFLINE }, outputs: { ok: 'response.json.ok' } }, ctx);
      expect(out).toMatchObject({ status: 200, ok: true });
      expect(issued).toBe(2);
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });

  it('a rejected offline token is a permanent error that shows the SSO reason, not the token', async () => {
    const clock = new VirtualClock();
    const server = await serve(clock, 2 * 60_000);
    const wrong = 'wrong-offline-token-zzz';
    const { ctx } = createTestContext({ clock, secrets: [wrong] });
    const error = (await runStep(
      httpStep,
      { url: `${API}/clusters/x`, oauth2: { tokenUrl: TOKEN_URL, refreshToken: wrong } },
      { ...ctx, network: server.network },
    ).catch((e: unknown) => e)) as StepError;
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toBe(`token request to ${TOKEN_URL} → 400 Bad Request (expected 2xx): Invalid refresh token`);
    expect(server.service.requests.map((r) => r.path)).toEqual(['/auth/realms/redhat-external/protocol/openid-connect/token']);
  });
});
